package dev.passport.host.logging;

/** {@code --log-format}: text (logback.xml) or one JSON object per line (passport-logback-json.xml). */
public enum LogFormat {
  TEXT("logback.xml"),
  JSON("passport-logback-json.xml");

  private final String resource;

  LogFormat(String resource) {
    this.resource = resource;
  }

  /** The host's configuration file for this format, a class path resource. */
  public String resource() {
    return resource;
  }

  /** Switches logback to this format; text is what logback starts with (it finds logback.xml). */
  public void apply() {
    if (this == TEXT) {
      return;
    }
    ProductionLogging.configure(this, null);
  }
}
