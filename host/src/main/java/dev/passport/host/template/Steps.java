package dev.passport.host.template;

/**
 * The work one volume's render may do, counted in lookups and loop iterations. Output is bounded
 * by bytes, but sections nested over lists can iterate n^depth times while printing nothing; this
 * bound stops them.
 */
final class Steps {
  private final int max;
  private int taken;

  Steps(int max) {
    this.max = max;
  }

  void take() {
    if (++taken > max) {
      throw new RenderFailure("it takes more than " + max + " steps (lookups and loop iterations)"
          + " to render; nest fewer sections over lists");
    }
  }
}
