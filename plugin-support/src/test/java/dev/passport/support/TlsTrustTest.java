package dev.passport.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.passport.api.BackendException;
import dev.passport.api.BackendException.Kind;
import dev.passport.testkit.TestPki;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TlsTrustTest {

  @TempDir Path dir;
  TestPki serverCa;
  FakeApiServer server;
  Path serverCaFile;

  @BeforeEach
  void start() throws Exception {
    serverCa = TestPki.create("private-ca");
    server = FakeApiServer.https("t", serverCa.serverContext(serverCa.issue("s", "127.0.0.1")));
    serverCaFile = serverCa.writeCa(dir.resolve("ca.pem"));
  }

  @AfterEach
  void stop() {
    server.close();
  }

  /** The HTTP status the server answered, or the handshake's failure. */
  private int get(TlsTrust trust) throws Exception {
    HttpClient client = HttpClient.newBuilder().sslContext(trust.sslContext()).build();
    return client.send(HttpRequest.newBuilder(server.url().resolve("/x")).build(),
        HttpResponse.BodyHandlers.discarding()).statusCode();
  }

  @Test
  void jdkAnd_bundleOfTheServersCa_trustsIt() throws Exception {
    assertThat(get(TlsTrust.jdkAnd(Optional.of(serverCaFile), "x.properties key caBundle")))
        .isEqualTo(401);
  }

  @Test
  void only_bundleOfTheServersCa_trustsIt() throws Exception {
    assertThat(get(TlsTrust.only(serverCaFile, "x.properties key caBundle"))).isEqualTo(401);
  }

  @Test
  void jdkAndOnly_bundleOfAnotherCa_refuseTheServer() throws Exception {
    Path other = TestPki.create("other-ca").writeCa(dir.resolve("other.pem"));

    for (TlsTrust trust : new TlsTrust[] {TlsTrust.jdk(),
        TlsTrust.jdkAnd(Optional.of(other), "k"), TlsTrust.only(other, "k")}) {
      IOException e = catchThrowableOfType(IOException.class, () -> get(trust));
      assertThat(e).isInstanceOf(SSLHandshakeException.class);
    }
    assertThat(server.requests()).isEmpty();
  }

  @Test
  void only_bundle_doesNotTrustTheJdksCas() throws Exception {
    TlsTrust only = TlsTrust.only(serverCaFile, "k");

    assertThat(only.trustManager().getAcceptedIssuers()).singleElement()
        .satisfies(ca -> assertThat(ca.getSubjectX500Principal().getName()).contains("private-ca"));
    assertThat(TlsTrust.jdkAnd(Optional.of(serverCaFile), "k").trustManager()
        .getAcceptedIssuers().length).isGreaterThan(1);
  }

  @Test
  void bundleWithoutCertificates_isInvalidArgumentNamingTheSetting() throws Exception {
    Path empty = Files.writeString(dir.resolve("empty.pem"), "# nothing here\n");
    Path missing = dir.resolve("missing.pem");

    for (Path bundle : new Path[] {empty, missing}) {
      BackendException e = catchThrowableOfType(BackendException.class,
          () -> TlsTrust.jdkAnd(Optional.of(bundle), "aws.properties key caBundle"));
      assertThat(e.kind()).isEqualTo(Kind.INVALID_ARGUMENT);
      assertThat(e.getMessage()).startsWith("aws.properties key caBundle: cannot use " + bundle)
          .contains("PEM");
      assertThat(catchThrowableOfType(BackendException.class,
          () -> TlsTrust.only(bundle, "gcp.properties key caBundle")).kind())
          .isEqualTo(Kind.INVALID_ARGUMENT);
    }
  }
}
