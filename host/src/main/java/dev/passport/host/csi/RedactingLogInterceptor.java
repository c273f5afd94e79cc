package dev.passport.host.csi;

import com.google.protobuf.Message;
import com.google.protobuf.TextFormat;
import csi.v1.Csi;
import dev.passport.host.publish.KubeletKeys;
import io.grpc.ForwardingServerCall.SimpleForwardingServerCall;
import io.grpc.ForwardingServerCallListener.SimpleForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Logs every RPC at DEBUG: the request with {@code secrets} and the tokens key stripped, then its
 * code, duration and message. Two CVEs in other drivers came from logging volume_context
 * with tokens in it; this is the one place requests are printed.
 */
final class RedactingLogInterceptor implements ServerInterceptor {

  private static final Logger LOG = LoggerFactory.getLogger("dev.passport.host.csi.rpc");

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    String method = call.getMethodDescriptor().getBareMethodName();
    long started = System.nanoTime();
    ServerCall<Q, R> logged = new SimpleForwardingServerCall<>(call) {
      @Override
      public void close(Status status, Metadata trailers) {
        long millis = (System.nanoTime() - started) / 1_000_000;
        // Publish and unpublish outcomes are logged by the publish path, with the call's fields.
        LOG.debug("{} {} in {} ms: {}", method, status.getCode(), millis, status.getDescription());
        super.close(status, trailers);
      }
    };
    return new SimpleForwardingServerCallListener<>(next.startCall(logged, headers)) {
      @Override
      public void onMessage(Q message) {
        if (LOG.isDebugEnabled() && message instanceof Message m) {
          LOG.debug("{} request: {}", method, TextFormat.shortDebugString(redact(m)));
        }
        super.onMessage(message);
      }
    };
  }

  /** A copy of the request that is safe to print. */
  public static Message redact(Message message) {
    if (message instanceof Csi.NodePublishVolumeRequest publish) {
      Csi.NodePublishVolumeRequest.Builder safe = publish.toBuilder().clearSecrets();
      if (publish.containsVolumeContext(KubeletKeys.TOKENS)) {
        safe.putVolumeContext(KubeletKeys.TOKENS, "<redacted>");
      }
      if (publish.getSecretsCount() > 0) {
        safe.putSecrets("<" + publish.getSecretsCount() + " redacted>", "");
      }
      return safe.build();
    }
    return message;
  }
}
