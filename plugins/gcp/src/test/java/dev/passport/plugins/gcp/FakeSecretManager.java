package dev.passport.plugins.gcp;

import com.google.cloud.secretmanager.v1.AccessSecretVersionRequest;
import com.google.cloud.secretmanager.v1.AccessSecretVersionResponse;
import com.google.cloud.secretmanager.v1.SecretPayload;
import com.google.protobuf.ByteString;
import dev.passport.testkit.TestPki;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerCredentials;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.TlsServerCredentials;
import io.grpc.okhttp.OkHttpServerBuilder;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.zip.CRC32C;
import javax.net.ssl.KeyManagerFactory;

/**
 * Secret Manager's {@code AccessSecretVersion} on a loopback TLS gRPC server, built from the
 * client library's own message types (the server stubs artifact is not available, so the service
 * definition is assembled by hand). It accepts only bearer tokens the fake STS/IAM issued, counts
 * calls per name, and fails or stalls on demand.
 */
final class FakeSecretManager implements AutoCloseable {

  static final String SERVICE = "google.cloud.secretmanager.v1.SecretManagerService";
  static final MethodDescriptor<AccessSecretVersionRequest, AccessSecretVersionResponse> ACCESS =
      MethodDescriptor.<AccessSecretVersionRequest, AccessSecretVersionResponse>newBuilder()
          .setType(MethodDescriptor.MethodType.UNARY)
          .setFullMethodName(MethodDescriptor.generateFullMethodName(SERVICE, "AccessSecretVersion"))
          .setRequestMarshaller(ProtoUtils.marshaller(AccessSecretVersionRequest.getDefaultInstance()))
          .setResponseMarshaller(
              ProtoUtils.marshaller(AccessSecretVersionResponse.getDefaultInstance()))
          .build();

  private static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
  private static final Context.Key<String> BEARER = Context.key("bearer");

  /** A stored version: what {@code name} resolves to and its payload. */
  record Version(String resolvedName, byte[] data, long crc32c) {}

  private final Server server;
  private final Supplier<Set<String>> acceptedTokens;
  private final Map<String, Version> versions = new ConcurrentHashMap<>();
  private final Map<String, Status> failures = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
  private final List<String> bearers = new CopyOnWriteArrayList<>();
  private final List<StreamObserver<?>> stalled = new CopyOnWriteArrayList<>();
  private final AtomicInteger rejected = new AtomicInteger();
  private volatile boolean stall;

  private FakeSecretManager(TestPki.Leaf certificate, Supplier<Set<String>> acceptedTokens)
      throws IOException {
    this.acceptedTokens = acceptedTokens;
    ServerServiceDefinition service = ServerServiceDefinition.builder(SERVICE)
        .addMethod(ACCESS, ServerCalls.asyncUnaryCall(this::access))
        .build();
    // grpc-okhttp's server, as the plugin ships grpc-okhttp's client: no netty on the test path
    this.server = OkHttpServerBuilder
        .forPort(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), tls(certificate))
        .addService(ServerInterceptors.intercept(service, new BearerCheck()))
        .build()
        .start();
  }

  private static ServerCredentials tls(TestPki.Leaf certificate) throws IOException {
    try {
      KeyStore keys = KeyStore.getInstance("PKCS12");
      keys.load(null, null);
      char[] password = "fake".toCharArray();
      keys.setKeyEntry("server", certificate.privateKey(), password,
          new X509Certificate[] {certificate.certificate()});
      KeyManagerFactory factory =
          KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      factory.init(keys, password);
      return TlsServerCredentials.newBuilder()
          .keyManager(factory.getKeyManagers()).build();
    } catch (GeneralSecurityException e) {
      throw new IOException("cannot serve TLS with the test certificate", e);
    }
  }

  /**
   * Starts a fake serving TLS with {@code certificate} that accepts the bearer tokens
   * {@code acceptedTokens} returns at call time.
   */
  static FakeSecretManager start(TestPki.Leaf certificate, Supplier<Set<String>> acceptedTokens)
      throws IOException {
    return new FakeSecretManager(certificate, acceptedTokens);
  }

  /** {@code 127.0.0.1:<port>}, as the plugin's endpoint settings take it. */
  String endpoint() {
    return "127.0.0.1:" + server.getPort();
  }

  /** Stores a version; {@code name} may end in a number, {@code latest} or an alias. */
  void put(String name, String resolvedName, byte[] data) {
    versions.put(name, new Version(resolvedName, data.clone(), crc32c(data)));
  }

  void put(String name, byte[] data) {
    put(name, name, data);
  }

  /** Stores a version whose checksum does not match its data, as corruption in transit would. */
  void putCorrupted(String name, byte[] data) {
    versions.put(name, new Version(name, data.clone(), crc32c(data) ^ 1));
  }

  /** Makes every call for {@code name} fail with {@code status} until {@link #recover}. */
  void fail(String name, Status status) {
    failures.put(name, status);
  }

  /** Makes every call hang without an answer, until {@link #close}. */
  void stall() {
    stall = true;
  }

  void recover() {
    failures.clear();
    stall = false;
  }

  /** How many AccessSecretVersion calls for {@code name} got past the bearer check. */
  int calls(String name) {
    AtomicInteger count = calls.get(name);
    return count == null ? 0 : count.get();
  }

  int totalCalls() {
    return calls.values().stream().mapToInt(AtomicInteger::get).sum();
  }

  /** Calls refused for a missing or unknown bearer token. */
  int rejectedCalls() {
    return rejected.get();
  }

  /** The bearer tokens of accepted calls, in order. */
  List<String> bearers() {
    return new ArrayList<>(bearers);
  }

  private void access(AccessSecretVersionRequest request,
      StreamObserver<AccessSecretVersionResponse> response) {
    String name = request.getName();
    calls.computeIfAbsent(name, n -> new AtomicInteger()).incrementAndGet();
    bearers.add(BEARER.get());
    if (stall) {
      stalled.add(response);
      return;
    }
    Status failure = failures.get(name);
    if (failure != null) {
      response.onError(failure.asRuntimeException());
      return;
    }
    Version version = versions.get(name);
    if (version == null) {
      response.onError(Status.NOT_FOUND
          .withDescription("Secret Version [" + name + "] not found.").asRuntimeException());
      return;
    }
    response.onNext(AccessSecretVersionResponse.newBuilder()
        .setName(version.resolvedName())
        .setPayload(SecretPayload.newBuilder()
            .setData(ByteString.copyFrom(version.data()))
            .setDataCrc32C(version.crc32c()))
        .build());
    response.onCompleted();
  }

  static long crc32c(byte[] data) {
    CRC32C crc = new CRC32C();
    crc.update(data);
    return crc.getValue();
  }

  /** Checks {@code authorization: Bearer <token>} as Google front ends do. */
  private final class BearerCheck implements ServerInterceptor {
    @Override
    public <Q, A> ServerCall.Listener<Q> interceptCall(
        ServerCall<Q, A> call, Metadata headers, ServerCallHandler<Q, A> next) {
      String authorization = headers.get(AUTHORIZATION);
      String bearer = authorization != null && authorization.startsWith("Bearer ")
          ? authorization.substring("Bearer ".length()) : null;
      if (bearer == null || !acceptedTokens.get().contains(bearer)) {
        rejected.incrementAndGet();
        call.close(Status.UNAUTHENTICATED.withDescription(
            "Request had invalid authentication credentials."), new Metadata());
        return new ServerCall.Listener<>() {};
      }
      return Contexts.interceptCall(Context.current().withValue(BEARER, bearer), call, headers,
          next);
    }
  }

  @Override
  public void close() throws InterruptedException {
    for (StreamObserver<?> observer : stalled) {
      try {
        observer.onError(Status.UNAVAILABLE.withDescription("shutting down").asRuntimeException());
      } catch (RuntimeException ignored) {
        // the client may have cancelled already
      }
    }
    server.shutdownNow();
    server.awaitTermination(10, TimeUnit.SECONDS);
  }
}
