package dev.passport.host.cli;

import dev.passport.host.volume.FileModes;
import picocli.CommandLine;

/** Reads {@code --default-file-mode}: octal permission bits, e.g. {@code 0644} or {@code 0440}. */
final class FileModeConverter implements CommandLine.ITypeConverter<FileModes> {

  @Override
  public FileModes convert(String value) {
    try {
      return FileModes.parse(value);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.TypeConversionException(e.getMessage());
    }
  }
}
