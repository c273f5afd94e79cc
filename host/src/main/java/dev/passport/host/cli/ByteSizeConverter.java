package dev.passport.host.cli;

import dev.passport.host.memory.ByteSize;
import picocli.CommandLine;

/** Reads sizes such as {@code 16Mi} (see {@link ByteSize}); a bad one is a usage error. */
final class ByteSizeConverter implements CommandLine.ITypeConverter<Long> {
  @Override
  public Long convert(String value) {
    try {
      return ByteSize.parse("the size", value);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.TypeConversionException(e.getMessage());
    }
  }
}
