package dev.passport.plugins.vault;

import com.fasterxml.jackson.databind.JsonNode;
import dev.passport.plugins.vault.VaultClient.Answer;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * What one Vault answer is, for keeping and reusing it (issue 15 item 4, issue 16 items 4 and 10):
 * no secret, only the kind and the times, so a volume's state stays a few dozen bytes per object.
 *
 * @param kind what the answer is
 * @param leaseId the lease, empty unless {@link Kind#LEASED}
 * @param start when its lifetime started: the lease's start or last renewal, the certificate's
 *     {@code notBefore}, or when the answer arrived
 * @param end when it stops being valid ({@code notAfter}, the lease's end); null when unknown
 * @param renewable whether the lease may be renewed
 * @param refreshAt when to obtain it again; null: the host's default interval
 */
record Lifetime(Kind kind, String leaseId, Instant start, Instant end, boolean renewable,
    Instant refreshAt) {

  /**
   * Renewal of a lease starts at 0.6 of it, a little before the 2/3 the material asks the host to
   * refresh at: the host may refresh early (its jitter, the republish before the instant), and an
   * early call should renew, not be wasted.
   */
  private static final double RENEW_FRACTION = 0.6;

  /** The kinds of answers, by what a token rotation may do with them. */
  enum Kind {
    /** A read with no lifetime of its own (KV): cheap, and re-checks the pod's permission. */
    READ,
    /** An answer with a lease ({@code lease_id}): database credentials, leased PKI. */
    LEASED,
    /** A certificate Vault issued without a lease (PKI's default): valid until its notAfter. */
    CERTIFICATE,
    /** Something a write issued, with no lease and no expiry Vault states: kept for the host's interval. */
    ISSUED;

    /** Whether it lives on its own, so a token rotation returns it unchanged. */
    boolean ownLifetime() {
      return this != READ;
    }
  }

  /** Classifies an answer that arrived at {@code now}; {@code defaultInterval} is the host's refresh interval. */
  static Lifetime of(SecretObject object, Answer answer, Instant now, Duration defaultInterval) {
    if (answer.leased()) {
      return leased(answer.leaseId(), now, answer.leaseDuration(), answer.renewable());
    }
    if (object.method().equals("GET")) {
      return new Lifetime(Kind.READ, "", now, null, false, null);
    }
    Optional<Lifetime> certificate = certificate(answer.body().path("data"), now);
    return certificate.orElseGet(() ->
        new Lifetime(Kind.ISSUED, "", now, null, false, now.plus(defaultInterval)));
  }

  static Lifetime leased(String leaseId, Instant start, long seconds, boolean renewable) {
    return new Lifetime(Kind.LEASED, leaseId, start, start.plusSeconds(seconds), renewable,
        start.plusMillis(seconds * 1000 * 2 / 3));
  }

  /**
   * Vault's PKI answers state {@code expiration} (Unix seconds, the certificate's notAfter); the
   * certificate itself gives notBefore (Vault back-dates it 30 s) and, without {@code expiration},
   * notAfter. Refreshed at 2/3 of its life, as cert-manager renews by default.
   */
  private static Optional<Lifetime> certificate(JsonNode data, Instant now) {
    Optional<X509Certificate> parsed = parse(data.path("certificate"));
    Instant notAfter = null;
    if (data.path("expiration").canConvertToLong() && data.path("expiration").asLong() > 0) {
      notAfter = Instant.ofEpochSecond(data.path("expiration").asLong());
    } else if (parsed.isPresent()) {
      notAfter = parsed.get().getNotAfter().toInstant();
    }
    if (notAfter == null || !notAfter.isAfter(now)) {
      return Optional.empty();
    }
    Instant notBefore = parsed.map(c -> c.getNotBefore().toInstant())
        .filter(start -> !start.isAfter(now))
        .orElse(now);
    Duration life = Duration.between(notBefore, notAfter);
    return Optional.of(new Lifetime(Kind.CERTIFICATE, "", notBefore, notAfter, false,
        notBefore.plus(life.multipliedBy(2).dividedBy(3))));
  }

  private static Optional<X509Certificate> parse(JsonNode pem) {
    if (!pem.isTextual() || !pem.asText().contains("-----BEGIN CERTIFICATE-----")) {
      return Optional.empty();
    }
    try {
      return Optional.of((X509Certificate) CertificateFactory.getInstance("X.509")
          .generateCertificate(new ByteArrayInputStream(pem.asText().getBytes(StandardCharsets.US_ASCII))));
    } catch (CertificateException | RuntimeException e) {
      // not a certificate after all (or a fake one): its expiration, if stated, is enough
      return Optional.empty();
    }
  }

  boolean leased() {
    return kind == Kind.LEASED;
  }

  /** From when a DUE fetch renews the lease rather than reusing it. */
  Instant renewFrom() {
    return start.plusMillis((long) (Duration.between(start, end).toMillis() * RENEW_FRACTION));
  }

  /** Whether a DUE fetch at {@code now} may reuse it without asking Vault. */
  boolean reusableAt(Instant now) {
    return switch (kind) {
      case READ -> false;
      case LEASED -> now.isBefore(renewFrom());
      case CERTIFICATE, ISSUED -> now.isBefore(refreshAt);
    };
  }

  long leaseSeconds() {
    return Duration.between(start, end).toSeconds();
  }

  Lifetime renewed(Instant now, long seconds) {
    return leased(leaseId, now, seconds, renewable);
  }
}
