package dev.passport.plugins.gcp;

import com.google.cloud.secretmanager.v1.SecretManagerServiceClient;
import com.google.protobuf.RuntimeVersion;
import io.grpc.ManagedChannel;
import java.util.Optional;

/**
 * The versions of the libraries this plugin runs with, as its own class loader sees them, for the
 * startup log: with several plugins and the host each carrying gRPC and protobuf, "which one did
 * this plugin get?" is the first support question.
 */
final class LibraryVersions {

  private LibraryVersions() {}

  static String describe() {
    return "google-cloud-secretmanager " + implementationVersion(SecretManagerServiceClient.class)
        + ", gRPC " + implementationVersion(ManagedChannel.class)
        + ", protobuf " + protobufVersion();
  }

  private static String implementationVersion(Class<?> type) {
    return Optional.ofNullable(type.getPackage().getImplementationVersion()).orElse("unknown");
  }

  private static String protobufVersion() {
    // read reflectively: the constants would otherwise be inlined from the version compiled against
    try {
      return RuntimeVersion.class.getField("MAJOR").get(null) + "."
          + RuntimeVersion.class.getField("MINOR").get(null) + "."
          + RuntimeVersion.class.getField("PATCH").get(null);
    } catch (ReflectiveOperationException e) {
      return "unknown";
    }
  }
}
