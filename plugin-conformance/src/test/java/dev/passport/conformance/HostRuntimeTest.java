package dev.passport.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.ManagedChannel;
import org.junit.jupiter.api.Test;

class HostRuntimeTest {

  @Test
  void versions_unshaded_areThoseOfTheGrpcAndProtobufJarsTheHostIsBuiltWith() {
    assertThat(HostRuntime.grpcVersion())
        .isEqualTo(ManagedChannel.class.getPackage().getImplementationVersion());
    assertThat(HostRuntime.protobufVersion()).matches("4\\.\\d+\\.\\d+");
  }
}
