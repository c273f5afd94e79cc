package dev.passport.plugins.certmanager;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/** A signed certificate chain (leaf first) and the timing rules that follow from it. */
record IssuedCertificate(List<X509Certificate> chain) {

  IssuedCertificate {
    chain = List.copyOf(chain);
    if (chain.isEmpty()) {
      throw new IllegalArgumentException("chain is empty");
    }
  }

  /** Parses the PEM chain; empty when it holds no certificate. */
  static Optional<IssuedCertificate> parse(byte[] pem) {
    try {
      CertificateFactory factory = CertificateFactory.getInstance("X.509");
      List<X509Certificate> chain = new ArrayList<>();
      for (Certificate certificate : factory.generateCertificates(new ByteArrayInputStream(pem))) {
        chain.add((X509Certificate) certificate);
      }
      return chain.isEmpty() ? Optional.empty() : Optional.of(new IssuedCertificate(chain));
    } catch (GeneralSecurityException | RuntimeException e) {
      return Optional.empty();
    }
  }

  X509Certificate leaf() {
    return chain.get(0);
  }

  Instant notBefore() {
    return leaf().getNotBefore().toInstant();
  }

  Instant notAfter() {
    return leaf().getNotAfter().toInstant();
  }

  /** Whether the leaf certifies {@code key}'s public half. */
  boolean certifies(KeyPair key) {
    return Arrays.equals(leaf().getPublicKey().getEncoded(), key.getPublic().getEncoded());
  }

  /**
   * When to renew: exactly {@code notAfter − renewBefore}, or at 2/3 of the lifetime when
   * renew-before is unset or not shorter than the lifetime: csi-driver's {@code NextIssuanceTime}
   * ({@code calculateNextIssuanceTime}). Unlike csi-driver, a zero or negative renew-before also
   * means 2/3, never a renewal at or after {@code notAfter}.
   */
  Instant renewalTime(Optional<Duration> renewBefore) {
    Duration lifetime = Duration.between(notBefore(), notAfter());
    if (renewBefore.isPresent() && !renewBefore.get().isNegative() && !renewBefore.get().isZero()
        && renewBefore.get().compareTo(lifetime) < 0) {
      return notAfter().minus(renewBefore.get());
    }
    return notBefore().plus(lifetime.multipliedBy(2).dividedBy(3));
  }

  /** The leaf's serial number in hex, a non-secret version label. */
  String serialHex() {
    return leaf().getSerialNumber().toString(16);
  }

  /**
   * A PKCS#12 keystore of the key and chain in {@code profile}'s layout and protection (csi-driver's
   * is {@link Pkcs12Profile#LegacyRC2}), protected by {@code password}.
   */
  byte[] pkcs12(KeyPair key, String password, Pkcs12Profile profile)
      throws GeneralSecurityException, IOException {
    return profile.encode(key, chain, password);
  }
}
