package dev.passport.plugins.vault;

import static dev.passport.plugins.vault.VaultRig.DB_LEASE;
import static dev.passport.plugins.vault.VaultRig.PASSWORD;
import static dev.passport.plugins.vault.VaultRig.START;
import static dev.passport.plugins.vault.VaultRig.attributes;
import static dev.passport.plugins.vault.VaultRig.text;
import static dev.passport.plugins.vault.VaultRig.with;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.passport.api.BackendException;
import dev.passport.api.BackendException.Kind;
import dev.passport.api.Material;
import dev.passport.api.MaterialFile;
import dev.passport.testkit.LogCapture;
import dev.passport.testkit.LogHygiene;
import dev.passport.tools.vault.VaultDevServer;
import dev.passport.tools.vault.VaultLease;
import dev.passport.tools.vault.VaultRequest;
import dev.passport.tools.vault.VaultRole;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class VaultBackendTest {

  private static final String DB_OBJECTS = """
      - objectName: db-username
        secretPath: database/creds/app
        secretKey: username
      - objectName: db-password
        secretPath: database/creds/app
        secretKey: password
      """;

  /** The same secret as {@link VaultRig#PASSWORD}, without secretKey: the whole answer as the file. */
  private static final String WHOLE_PASSWORD = """
      - objectName: password
        secretPath: secret/data/shop/db
      """;

  @RegisterExtension final LogCapture logs = new LogCapture();

  private VaultRig rig;

  @BeforeEach
  void start() throws Exception {
    rig = VaultRig.start();
    rig.vault.kvPut("secret", "shop/db", Map.of("password", "kv2-secret", "port", 5432));
    rig.vault.kvPut("kv", "shop/legacy", Map.of("api-key", "kv1-secret"));
  }

  @AfterEach
  void stop() {
    LogHygiene.assertNoSecrets(rig.secrets(), logs.lines());
    rig.close();
  }

  // ------------------------------------------------------------------ reading

  @Test
  void kv2_secretKey_writesTheValueFromDataData() throws Exception {
    Material material = rig.fetch(attributes(PASSWORD));

    assertThat(text(material, "password")).isEqualTo("kv2-secret");
    assertThat(material.files()).hasSize(1);
    assertThat(material.version()).hasValue("secret/data/shop/db@1");
  }

  @Test
  void kv1_secretKey_writesTheValueFromData() throws Exception {
    Material material = rig.fetch(attributes("""
        - objectName: api-key
          secretPath: kv/shop/legacy
          secretKey: api-key
        """));

    assertThat(text(material, "api-key")).isEqualTo("kv1-secret");
  }

  @Test
  void kvWithoutLease_leavesRefreshToTheHostDefault() throws Exception {
    // KV v1 answers a lease_duration of 32 days without a lease_id: a TTL hint, not a lease
    Material material = rig.fetch(attributes("""
        - objectName: api-key
          secretPath: kv/shop/legacy
          secretKey: api-key
        - objectName: password
          secretPath: secret/data/shop/db
          secretKey: password
        """));

    assertThat(material.refreshAt()).isEmpty();
    assertThat(material.expiresAt()).isEmpty();
  }

  @Test
  void kv2_versionQuery_readsThePinnedVersion() throws Exception {
    rig.vault.kvPut("secret", "shop/db", Map.of("password", "second"));

    Material material = rig.fetch(attributes("""
        - objectName: old
          secretPath: secret/data/shop/db?version=1
          secretKey: password
        - objectName: new
          secretPath: secret/data/shop/db
          secretKey: password
        """));

    assertThat(text(material, "old")).isEqualTo("kv2-secret");
    assertThat(text(material, "new")).isEqualTo("second");
    assertThat(rig.vault.requests()).extracting(VaultRequest::path)
        .contains("secret/data/shop/db?version=1", "secret/data/shop/db");
  }

  @Test
  void secretPathWithOrWithoutV1Prefix_requestsTheSameApiPath() throws Exception {
    rig.fetch(attributes("""
        - objectName: a
          secretPath: /v1/secret/data/shop/db
          secretKey: password
        - objectName: b
          secretPath: /secret/data/shop/db
          secretKey: password
        - objectName: c
          secretPath: secret/data/shop/db
          secretKey: password
        """));

    // the three spellings are one request: the /v1/ prefix is added where missing
    assertThat(rig.vault.reads("secret/data/shop/db")).isEqualTo(1);
  }

  @Test
  void noSecretKey_writesTheWholeResponseJson() throws Exception {
    Material material = rig.fetch(attributes("""
        - objectName: all.json
          secretPath: secret/data/shop/db
        """));

    JsonNode json = new ObjectMapper().readTree(material.file("all.json").orElseThrow().content());
    assertThat(json.path("data").path("data").path("password").asText()).isEqualTo("kv2-secret");
    assertThat(json.path("data").path("metadata").path("version").asInt()).isEqualTo(1);
    assertThat(json.has("lease_duration")).isTrue();
  }

  @Test
  void nonStringValue_isWrittenAsJson() throws Exception {
    rig.vault.kvPut("secret", "shop/config", Map.of("limits", Map.of("cpu", 2), "enabled", true));

    Material material = rig.fetch(attributes("""
        - objectName: port
          secretPath: secret/data/shop/db
          secretKey: port
        - objectName: limits
          secretPath: secret/data/shop/config
          secretKey: limits
        - objectName: enabled
          secretPath: secret/data/shop/config
          secretKey: enabled
        """));

    assertThat(text(material, "port")).isEqualTo("5432");
    assertThat(text(material, "limits")).isEqualTo("{\"cpu\":2}");
    assertThat(text(material, "enabled")).isEqualTo("true");
  }

  @Test
  void encodings_decodeTheValueBeforeWriting() throws Exception {
    byte[] binary = {0, 1, (byte) 0xfe, (byte) 0xff};
    rig.vault.kvPut("secret", "shop/keystore", Map.of(
        "b64", Base64.getEncoder().encodeToString(binary), "hex", "0001feff", "plain", "héllo"));

    Material material = rig.fetch(attributes("""
        - objectName: from-base64
          secretPath: secret/data/shop/keystore
          secretKey: b64
          encoding: base64
        - objectName: from-hex
          secretPath: secret/data/shop/keystore
          secretKey: hex
          encoding: hex
        - objectName: plain
          secretPath: secret/data/shop/keystore
          secretKey: plain
          encoding: utf-8
        """));

    assertThat(material.file("from-base64").orElseThrow().content()).isEqualTo(binary);
    assertThat(material.file("from-hex").orElseThrow().content()).isEqualTo(binary);
    assertThat(material.file("plain").orElseThrow().content()).isEqualTo("héllo".getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void valueNotInItsEncoding_isFailedPreconditionNamingTheObject() throws Exception {
    rig.vault.kvPut("secret", "shop/keystore", Map.of("b64", "not base64 !"));

    BackendException e = failure(() -> rig.fetch(attributes("""
        - objectName: keystore
          secretPath: secret/data/shop/keystore
          secretKey: b64
          encoding: base64
        """)));

    assertThat(e.kind()).isEqualTo(Kind.FAILED_PRECONDITION);
    assertThat(e.getMessage()).contains("objects[0] (keystore)", "base64");
  }

  @Test
  void filePermission_setsTheFileMode() throws Exception {
    Material material = rig.fetch(attributes("""
        - objectName: octal
          secretPath: secret/data/shop/db
          secretKey: password
          filePermission: 0600
        - objectName: quoted
          secretPath: secret/data/shop/db
          secretKey: port
          filePermission: "0640"
        - objectName: default
          secretPath: kv/shop/legacy
          secretKey: api-key
        """));

    assertThat(material.file("octal").orElseThrow().mode()).isEqualTo(0600);
    assertThat(material.file("quoted").orElseThrow().mode()).isEqualTo(0640);
    assertThat(material.file("default").orElseThrow().mode()).isEqualTo(MaterialFile.DEFAULT_MODE);
  }

  @Test
  void pkiIssue_putsSecretArgsAndLeasesTheCertificate() throws Exception {
    rig.vault.pkiRole("web", Duration.ofHours(3));

    Material material = rig.fetch(attributes("""
        - objectName: tls.crt
          secretPath: pki/issue/web
          method: PUT
          secretArgs:
            common_name: web.shop.svc
            ttl: 3h
          secretKey: certificate
        - objectName: tls.key
          secretPath: pki/issue/web
          method: PUT
          secretArgs: {common_name: web.shop.svc, ttl: 3h}
          secretKey: private_key
        """));

    assertThat(text(material, "tls.crt")).startsWith("-----BEGIN CERTIFICATE-----");
    assertThat(text(material, "tls.key")).startsWith("-----BEGIN RSA PRIVATE KEY-----");
    assertThat(rig.vault.reads("pki/issue/web")).isEqualTo(1);
    assertThat(material.refreshAt()).hasValue(START.plus(Duration.ofHours(2)));
    assertThat(material.expiresAt()).hasValue(START.plus(Duration.ofHours(3)));
  }

  @Test
  void pkiIssueWithoutCommonName_isFailedPreconditionQuotingVault() throws Exception {
    rig.vault.pkiRole("web", Duration.ofHours(3));

    BackendException e = failure(() -> rig.fetch(attributes("""
        - objectName: tls.crt
          secretPath: pki/issue/web
          method: POST
          secretArgs: {ttl: 3h}
          secretKey: certificate
        """)));

    assertThat(e.kind()).isEqualTo(Kind.FAILED_PRECONDITION);
    assertThat(e.getMessage()).contains("pki/issue/web", "common_name field is required");
  }

  // ------------------------------------------------------------------ de-duplication

  @Test
  void samePathMethodAndArgs_isRequestedOnce_soUsernameAndPasswordMatch() throws Exception {
    Material material = rig.fetch(attributes(DB_OBJECTS));

    assertThat(rig.vault.reads("database/creds/app")).isEqualTo(1);
    assertThat(rig.vault.leases()).hasSize(1);
    assertThat(text(material, "db-username")).startsWith("v-app-");
    assertThat(text(material, "db-password")).isNotEmpty();
  }

  @Test
  void sameSecretPathWithDifferentArgs_isRequestedTwice() throws Exception {
    rig.vault.pkiRole("web", Duration.ofHours(3));

    rig.fetch(attributes("""
        - objectName: a.crt
          secretPath: pki/issue/web
          method: PUT
          secretArgs: {common_name: a.shop.svc}
          secretKey: certificate
        - objectName: b.crt
          secretPath: pki/issue/web
          method: PUT
          secretArgs: {common_name: b.shop.svc}
          secretKey: certificate
        """));

    assertThat(rig.vault.reads("pki/issue/web")).isEqualTo(2);
  }

  // ------------------------------------------------------------------ Vault token reuse

  @Test
  void repeatedFetches_podTokenUnchanged_logInOnce() throws Exception {
    Map<String, String> attributes = attributes(PASSWORD);

    for (int i = 0; i < 20; i++) {
      rig.fetch(attributes);
      rig.clock.advance(Duration.ofMinutes(1));
    }

    assertThat(rig.vault.logins()).isEqualTo(1);
    assertThat(rig.vault.reads("secret/data/shop/db")).isEqualTo(20);
  }

  @Test
  void twoVolumesOfOnePod_sameRole_shareOneLogin() throws Exception {
    Map<String, String> attributes = attributes(PASSWORD);

    rig.fetch("csi-volume-a", attributes);
    rig.fetch("csi-volume-b", attributes);

    assertThat(rig.vault.logins()).isEqualTo(1);
  }

  @Test
  void vaultTokenPastTwoThirdsOfItsTtl_isRenewedNotLoggedInAgain() throws Exception {
    Map<String, String> attributes = attributes(PASSWORD);
    rig.vault.addRole("kubernetes", VaultRole.of("short", "shop", "web").withTokenTtl(Duration.ofMinutes(30)));
    Map<String, String> shortLived = with(attributes, "roleName", "short");

    rig.fetch(shortLived);
    rig.clock.advance(Duration.ofMinutes(19));
    rig.fetch(shortLived);
    assertThat(rig.vault.logins()).isEqualTo(1);

    rig.clock.advance(Duration.ofMinutes(2)); // 21 of 30 minutes: past 2/3
    rig.fetch(shortLived);
    // issue 16 item 5: the token's own TTL decides; a renewable token is renewed, not replaced
    assertThat(rig.vault.logins()).isEqualTo(1);
    assertThat(rig.vault.tokenRenewals()).isEqualTo(1);
    assertThat(rig.vault.liveTokens()).isEqualTo(1);
  }

  @Test
  void vaultTokenNearItsMaxTtl_logsInAgainAndRevokesTheReplacedToken() throws Exception {
    Map<String, String> attributes = attributes(PASSWORD);
    rig.vault.addRole("kubernetes", VaultRole.of("capped", "shop", "web")
        .withTokenTtl(Duration.ofMinutes(30)).withTokenMaxTtl(Duration.ofMinutes(35)));
    Map<String, String> capped = with(attributes, "roleName", "capped");
    rig.fetch(capped);

    rig.clock.advance(Duration.ofMinutes(21)); // a renewal could add only 14 of 30 minutes
    rig.fetch(capped);

    assertThat(rig.vault.tokenRenewals()).isEqualTo(1);
    assertThat(rig.vault.logins()).isEqualTo(2);
    assertThat(rig.vault.tokenRevocations()).isEqualTo(1);
    assertThat(rig.vault.liveTokens()).as("the replaced token is revoked").isEqualTo(1);
  }

  @Test
  void podTokenRotated_keepsTheVaultTokenAndRereadsKv() throws Exception {
    Map<String, String> attributes = attributes(PASSWORD);
    rig.fetch(attributes);

    rig.clock.advance(Duration.ofMinutes(5));
    rig.vault.kvPut("secret", "shop/db", Map.of("password", "rotated"));
    Material material = rig.fetchAfterRotation(attributes);

    // issue 16 item 5: kubelet's rotation is no reason for a login; KV is read again (cheap, and
    // Vault re-checks the token's permission)
    assertThat(rig.vault.logins()).isEqualTo(1);
    assertThat(text(material, "password")).isEqualTo("rotated");
    assertThat(rig.vault.reads("secret/data/shop/db")).isEqualTo(2);
  }

  @Test
  void release_lastVolumeOfThePod_revokesItsVaultToken() throws Exception {
    Map<String, String> attributes = attributes(PASSWORD);
    rig.fetch("csi-volume-a", attributes);
    rig.fetch("csi-volume-b", attributes);

    rig.backend.release("csi-volume-a");
    assertThat(rig.vault.tokenRevocations()).as("volume b still uses the token").isZero();
    rig.backend.release("csi-volume-b");

    assertThat(rig.vault.tokenRevocations()).isEqualTo(1);
    assertThat(rig.vault.liveTokens()).isZero();
  }

  @Test
  void reusedTokenRevokedInVault_logsInOnceMoreAndSucceeds() throws Exception {
    Map<String, String> attributes = attributes(PASSWORD);
    rig.fetch(attributes);

    rig.vault.revokeAllTokens();
    Material material = rig.fetch(attributes);

    assertThat(text(material, "password")).isEqualTo("kv2-secret");
    assertThat(rig.vault.logins()).isEqualTo(2);
  }

  @Test
  void policyDenies_afterOneRetryLogin_isPermissionDeniedQuotingVault() throws Exception {
    rig.vault.definePolicy("", "default", "secret/data/shop/db");
    rig.fetch(attributes(PASSWORD));

    BackendException e = failure(() -> rig.fetch(attributes("""
        - objectName: other
          secretPath: secret/data/other/app
          secretKey: password
        """)));

    assertThat(e.kind()).isEqualTo(Kind.PERMISSION_DENIED);
    assertThat(e.getMessage()).contains("secret/data/other/app", "HTTP 403", "permission denied");
    // the reused token met a 403: one more login, then the failure
    assertThat(rig.vault.logins()).isEqualTo(2);
    LogHygiene.assertNoSecrets(rig.secrets(), e);
  }

  @Test
  void freshTokenDenied_failsWithoutAnotherLogin() throws Exception {
    rig.vault.definePolicy("", "default", "secret/data/shop/db");

    BackendException e = failure(() -> rig.fetch(attributes("""
        - objectName: other
          secretPath: secret/data/other/app
          secretKey: password
        """)));

    assertThat(e.kind()).isEqualTo(Kind.PERMISSION_DENIED);
    assertThat(rig.vault.logins()).isEqualTo(1);
  }

  // ------------------------------------------------------------------ leases

  @Test
  void dynamicCredential_withinTwoThirdsOfItsLease_isReusedWithoutAnyVaultCall() throws Exception {
    Material first = rig.fetch(attributes(DB_OBJECTS));
    int requestsAfterFirst = rig.vault.requests().size();

    rig.clock.advance(Duration.ofMinutes(15));
    Material second = rig.fetch(attributes(DB_OBJECTS));

    assertThat(second.files()).isEqualTo(first.files());
    assertThat(rig.vault.requests()).hasSize(requestsAfterFirst);
    assertThat(first.refreshAt()).hasValue(START.plus(Duration.ofMinutes(20)));
    assertThat(first.expiresAt()).hasValue(START.plus(DB_LEASE));
  }

  @Test
  void volumeMixingKvAndLease_refreshesAtTheHostDefaultWithoutTouchingTheLease() throws Exception {
    String objects = DB_OBJECTS + PASSWORD;
    Material first = rig.fetch(attributes(objects));

    // TestBackendContext's default refresh interval is 5 minutes, the lease's 2/3 is 20
    assertThat(first.refreshAt()).hasValue(START.plus(Duration.ofMinutes(5)));
    assertThat(first.expiresAt()).hasValue(START.plus(DB_LEASE));
    rig.clock.advance(Duration.ofMinutes(5));
    rig.vault.kvPut("secret", "shop/db", Map.of("password", "rotated"));
    Material second = rig.fetch(attributes(objects));

    assertThat(text(second, "password")).isEqualTo("rotated");
    assertThat(text(second, "db-username")).isEqualTo(text(first, "db-username"));
    assertThat(rig.vault.reads("database/creds/app")).isEqualTo(1);
    assertThat(rig.vault.renewals()).isZero();
  }

  @Test
  void dynamicCredential_pastTwoThirdsOfItsLease_isRenewedNotReadAgain() throws Exception {
    Material first = rig.fetch(attributes(DB_OBJECTS));

    rig.clock.advance(Duration.ofMinutes(20));
    Material renewed = rig.fetch(attributes(DB_OBJECTS));

    assertThat(renewed.files()).isEqualTo(first.files());
    assertThat(rig.vault.reads("database/creds/app")).isEqualTo(1);
    assertThat(rig.vault.renewals()).isEqualTo(1);
    VaultLease lease = rig.vault.leases().get(0);
    assertThat(lease.renewals()).isEqualTo(1);
    assertThat(lease.expiresAt()).isEqualTo(START.plus(Duration.ofMinutes(50)));
    assertThat(renewed.refreshAt()).hasValue(START.plus(Duration.ofMinutes(40)));
    assertThat(renewed.expiresAt()).hasValue(START.plus(Duration.ofMinutes(50)));
  }

  @Test
  void dynamicCredential_renewalRefused_readsANewCredential() throws Exception {
    Material first = rig.fetch(attributes(DB_OBJECTS));
    rig.clock.advance(Duration.ofMinutes(20));

    rig.vault.failPath("sys/leases/renew", 400);
    Material next = rig.fetch(attributes(DB_OBJECTS));

    assertThat(text(next, "db-username")).isNotEqualTo(text(first, "db-username"));
    assertThat(rig.vault.reads("database/creds/app")).isEqualTo(2);
  }

  @Test
  void dynamicCredential_nearItsMaxTtl_readsANewCredential() throws Exception {
    rig.vault.databaseRole("", "database", "capped", Duration.ofMinutes(30), Duration.ofMinutes(35));
    String objects = DB_OBJECTS.replace("database/creds/app", "database/creds/capped");
    Material first = rig.fetch(attributes(objects));

    rig.clock.advance(Duration.ofMinutes(25)); // renewal could add only 10 of 30 minutes
    Material next = rig.fetch(attributes(objects));

    assertThat(rig.vault.renewals()).isEqualTo(1);
    assertThat(text(next, "db-username")).isNotEqualTo(text(first, "db-username"));
  }

  @Test
  void release_withRevokeOnUnpublish_revokesTheVolumesLeases() throws Exception {
    rig.fetch(with(attributes(DB_OBJECTS), "revokeOnUnpublish", "true"));

    rig.backend.release(VaultRig.VOLUME);

    assertThat(rig.vault.revocations()).isEqualTo(1);
    assertThat(rig.vault.leases()).singleElement().extracting(VaultLease::revoked).isEqualTo(true);
  }

  @Test
  void release_withRevokeOnUnpublishFromConfig_revokesAlsoReplacedLeases() throws Exception {
    rig.close();
    rig = VaultRig.start(config -> {
      config.put("revokeOnUnpublish", "true");
      return config;
    });
    rig.fetch(attributes(DB_OBJECTS));
    rig.clock.advance(Duration.ofMinutes(20));
    rig.vault.failPath("sys/leases/renew", 400);
    rig.fetch(attributes(DB_OBJECTS)); // a second credential replaces the first

    rig.backend.release(VaultRig.VOLUME);

    assertThat(rig.vault.leases()).hasSize(2).allMatch(VaultLease::revoked);
  }

  @Test
  void release_withoutRevokeOnUnpublish_leavesLeasesToExpire() throws Exception {
    rig.fetch(attributes(DB_OBJECTS));

    rig.backend.release(VaultRig.VOLUME);

    assertThat(rig.vault.revocations()).isZero();
  }

  @Test
  void release_ofUnknownVolume_doesNothing() throws Exception {
    rig.backend.release("csi-unknown");

    assertThat(rig.vault.requests()).isEmpty();
  }

  // ------------------------------------------------------------------ attributes that select Vault

  @Test
  void vaultNamespace_sendsTheHeaderAndReadsThatNamespacesSecrets() throws Exception {
    rig.vault.addRole("team-a", "kubernetes", VaultRole.of("web", "shop", "web"));
    rig.vault.kvPut("team-a", "secret", "shop/db", Map.of("password", "team-a-secret"));

    Material material = rig.fetch(with(attributes(PASSWORD), "vaultNamespace", "team-a/"));

    assertThat(text(material, "password")).isEqualTo("team-a-secret");
    assertThat(rig.vault.requests()).extracting(VaultRequest::namespace).containsOnly("team-a");
  }

  @Test
  void roleOnlyInAnotherNamespace_isPermissionDenied() throws Exception {
    BackendException e = failure(() -> rig.fetch(with(attributes(PASSWORD), "vaultNamespace", "team-b")));

    assertThat(e.kind()).isEqualTo(Kind.PERMISSION_DENIED);
    assertThat(e.getMessage()).contains("invalid role name", "namespace team-b");
  }

  @Test
  void vaultAuthMountPath_logsInAtThatMount() throws Exception {
    rig.vault.addRole("jwt", VaultRole.of("web", "shop", "web"));

    rig.fetch(with(attributes(PASSWORD), "vaultAuthMountPath", "jwt"));

    assertThat(rig.vault.requests()).extracting(VaultRequest::path).first().isEqualTo("auth/jwt/login");
  }

  @Test
  void vaultKubernetesMountPath_isAcceptedAsTheOlderName() throws Exception {
    rig.vault.addRole("k8s-east", VaultRole.of("web", "shop", "web"));

    rig.fetch(with(attributes(PASSWORD), "vaultKubernetesMountPath", "auth/k8s-east"));

    assertThat(rig.vault.requests()).extracting(VaultRequest::path).first().isEqualTo("auth/k8s-east/login");
  }

  @Test
  void audience_selectsThePodTokenAndIsTheRequiredAudience() throws Exception {
    rig.vault.addRole("kubernetes", VaultRole.of("sts", "shop", "web").withAudience("vault.example.com"));
    Map<String, String> attributes = with(with(attributes(PASSWORD), "audience", "vault.example.com"), "roleName", "sts");

    assertThat(rig.backend.prepare(attributes).audiences()).containsExactly("vault.example.com");
    var token = rig.tokens.token(rig.pod, "vault.example.com", rig.clock.instant(), Duration.ofHours(1));
    Material material = rig.fetch(
        attributes, Map.of("vault.example.com", token), rig.clock.instant().plusSeconds(30));

    assertThat(text(material, "password")).isEqualTo("kv2-secret");
  }

  @Test
  void preparedAudiences_defaultToVault() throws Exception {
    assertThat(rig.backend.prepare(attributes(WHOLE_PASSWORD)).audiences()).containsExactly("vault");
  }

  @Test
  void vaultAddressAttribute_allowedByTheOperator_overridesTheConfiguredDefault() throws Exception {
    try (VaultDevServer other = VaultDevServer.start(rig.tokens, rig.clock)) {
      rig.allowVaultAddresses(other.address());
      other.addRole("kubernetes", VaultRole.of("web", "shop", "web"));
      other.kvPut("secret", "shop/db", Map.of("password", "from-other"));

      Material material = rig.fetch(with(attributes("""
          - objectName: password
            secretPath: secret/data/shop/db
            secretKey: password
          """), "vaultAddress", other.address() + "/"));

      assertThat(text(material, "password")).isEqualTo("from-other");
      assertThat(rig.vault.requests()).isEmpty();
    }
  }

  @Test
  void sameVolumeMovedToAnotherVault_reusesNothing() throws Exception {
    try (VaultDevServer other = VaultDevServer.start(rig.tokens, rig.clock)) {
      rig.allowVaultAddresses(other.address());
      other.addRole("kubernetes", VaultRole.of("web", "shop", "web"));
      other.databaseRole("app", DB_LEASE, Duration.ofHours(24));
      rig.fetch(attributes(DB_OBJECTS));

      rig.fetch(with(attributes(DB_OBJECTS), "vaultAddress", other.address()));

      assertThat(other.reads("database/creds/app")).isEqualTo(1);
      assertThat(other.logins()).isEqualTo(1);
    }
  }

  // ------------------------------------------------------------------ error mapping

  @Test
  void missingPath_isNotFoundNamingThePath() {
    BackendException e = failure(() -> rig.fetch(attributes("""
        - objectName: password
          secretPath: secret/data/shop/missing
          secretKey: password
        """)));

    assertThat(e.kind()).isEqualTo(Kind.NOT_FOUND);
    assertThat(e.getMessage()).contains("secret/data/shop/missing");
  }

  @Test
  void missingSecretKey_isNotFoundListingTheKeysPresent() {
    BackendException e = failure(() -> rig.fetch(attributes("""
        - objectName: password
          secretPath: secret/data/shop/db
          secretKey: passwd
        """)));

    assertThat(e.kind()).isEqualTo(Kind.NOT_FOUND);
    assertThat(e.getMessage()).contains("\"passwd\"", "[password, port]");
  }

  @Test
  void sealedVault_isUnavailable() {
    rig.vault.seal();

    BackendException e = failure(() -> rig.fetch(attributes(PASSWORD)));

    assertThat(e.kind()).isEqualTo(Kind.UNAVAILABLE);
    assertThat(e.getMessage()).contains("sealed");
  }

  @Test
  void serverErrorOnRead_isUnavailable() throws Exception {
    rig.vault.failPath("secret/data/shop/db", 500);

    BackendException e = failure(() -> rig.fetch(attributes(PASSWORD)));

    assertThat(e.kind()).isEqualTo(Kind.UNAVAILABLE);
    assertThat(e.getMessage()).contains("HTTP 500");
  }

  @Test
  void rateLimitQuota429_isResourceExhaustedAndRetryable() {
    rig.vault.failPath("secret/data/shop/db", 429);

    BackendException e = failure(() -> rig.fetch(attributes(PASSWORD)));

    assertThat(e.kind()).isEqualTo(Kind.RESOURCE_EXHAUSTED);
    assertThat(e.isRetryable()).isTrue();
    assertThat(e.getMessage()).contains("secret/data/shop/db", "HTTP 429", "rate limit");
  }

  @Test
  void injected403_isPermissionDenied_and404_isNotFound() {
    rig.vault.failNext(1, 403);
    assertThat(failure(() -> rig.fetch(attributes(WHOLE_PASSWORD))).kind()).isEqualTo(Kind.PERMISSION_DENIED);

    rig.vault.failPath("secret/data/shop/db", 404);
    assertThat(failure(() -> rig.fetch(attributes(WHOLE_PASSWORD))).kind()).isEqualTo(Kind.NOT_FOUND);
  }

  @Test
  void connectionRefused_isUnavailable() throws Exception {
    String address = rig.vault.address();
    rig.vault.close();

    BackendException e = failure(() -> rig.fetch(with(attributes(WHOLE_PASSWORD), "vaultAddress", address)));

    assertThat(e.kind()).isEqualTo(Kind.UNAVAILABLE);
    assertThat(e.getMessage()).contains("refused");
  }

  @Test
  void vaultStallsPastTheDeadline_isDeadlineExceeded() {
    rig.vault.stallNext(1, Duration.ofSeconds(20));

    BackendException e = failure(() -> rig.fetch(attributes(WHOLE_PASSWORD), Map.of("vault", rig.podToken()), rig.clock.instant().plusMillis(500)));

    assertThat(e.kind()).isEqualTo(Kind.DEADLINE_EXCEEDED);
  }

  @Test
  void deadlineAlreadyPassed_isDeadlineExceededWithoutAVaultCall() {
    BackendException e = failure(() -> rig.fetch(attributes(WHOLE_PASSWORD), Map.of("vault", rig.podToken()), rig.clock.instant()));

    assertThat(e.kind()).isEqualTo(Kind.DEADLINE_EXCEEDED);
    assertThat(rig.vault.requests()).isEmpty();
  }

  @Test
  void noTokenForTheAudience_isUnauthenticatedNamingTheAudience() {
    BackendException e = failure(() -> rig.fetch(attributes(WHOLE_PASSWORD), Map.of(), rig.clock.instant().plusSeconds(30)));

    assertThat(e.kind()).isEqualTo(Kind.UNAUTHENTICATED);
    assertThat(e.getMessage()).contains("\"vault\"");
  }

  @Test
  void serviceAccountNotBoundToTheRole_isPermissionDeniedQuotingVault() {
    rig.vault.addRole("kubernetes", VaultRole.of("admin", "shop", "admin"));

    BackendException e = failure(() -> rig.fetch(with(attributes(WHOLE_PASSWORD), "roleName", "admin")));

    assertThat(e.kind()).isEqualTo(Kind.PERMISSION_DENIED);
    assertThat(e.getMessage()).contains("auth/kubernetes", "\"admin\"", "service account name not authorized");
    LogHygiene.assertNoSecrets(rig.secrets(), e);
  }

  @Test
  void expiredPodToken_isPermissionDenied() {
    rig.clock.advance(Duration.ofHours(2)); // the pod token lived one hour

    BackendException e = failure(() -> rig.fetch(attributes(WHOLE_PASSWORD)));

    assertThat(e.kind()).isEqualTo(Kind.PERMISSION_DENIED);
    LogHygiene.assertNoSecrets(rig.secrets(), e);
  }

  @Test
  void oneObjectFailing_failsTheWholeVolume() {
    BackendException e = failure(() -> rig.fetch(attributes("""
        - objectName: good
          secretPath: secret/data/shop/db
          secretKey: password
        - objectName: bad
          secretPath: secret/data/shop/missing
          secretKey: password
        """)));

    assertThat(e.kind()).isEqualTo(Kind.NOT_FOUND);
  }

  @Test
  void badAttributes_failPrepareWithInvalidArgumentNamingThem() {
    Map<String, String> attributes = with(attributes(WHOLE_PASSWORD), "vaultAddr", "http://typo");

    BackendException e = failure(() -> rig.backend.prepare(attributes));
    assertThat(e.kind()).isEqualTo(Kind.INVALID_ARGUMENT);
    assertThat(e.getMessage()).contains("vaultAddr");
    assertThat(rig.vault.requests()).isEmpty();
  }

  @Test
  void requestLog_holdsNoTokens() throws Exception {
    rig.fetch(attributes(DB_OBJECTS));

    List<String> log = rig.vault.requests().stream().map(VaultRequest::toString).toList();
    LogHygiene.assertNoSecrets(rig.secrets(), log);
    assertThat(rig.vault.issuedClientTokens()).hasSize(1);
    assertThat(Set.copyOf(rig.vault.requests().stream().map(VaultRequest::kind).toList()))
        .containsExactlyInAnyOrder(VaultRequest.Kind.LOGIN, VaultRequest.Kind.READ);
  }

  static BackendException failure(ThrowingCallable call) {
    BackendException e = catchThrowableOfType(BackendException.class, call);
    assertThat(e).as("a BackendException").isNotNull();
    return e;
  }
}
