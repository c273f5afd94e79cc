package dev.passport.conformance;

/**
 * The versions of the libraries the host in this module runs on. They are relocated inside the
 * jar, so a plugin's tests cannot ask {@code io.grpc} classes for them: those are the plugin's.
 */
public final class HostRuntime {

  private HostRuntime() {}

  /** The host's gRPC version, e.g. {@code 1.85.1}. */
  public static String grpcVersion() {
    return io.grpc.internal.GrpcUtil.IMPLEMENTATION_VERSION;
  }

  /** The host's protobuf runtime version, e.g. {@code 4.36.2}. */
  public static String protobufVersion() {
    return com.google.protobuf.RuntimeVersion.MAJOR + "." + com.google.protobuf.RuntimeVersion.MINOR
        + "." + com.google.protobuf.RuntimeVersion.PATCH;
  }
}
