package dev.passport.tools.vault;

import java.time.Instant;

/**
 * A lease {@link VaultDevServer} handed out with a dynamic secret, as tests inspect it.
 *
 * @param leaseId the {@code lease_id}
 * @param namespace the namespace it lives in ({@code ""} for the root)
 * @param path the API path that created it, e.g. {@code database/creds/app}
 * @param issuedAt when it was created
 * @param expiresAt when it ends unless renewed
 * @param renewable whether {@code sys/leases/renew} may extend it
 * @param renewals how often it was renewed
 * @param revoked whether it was revoked
 */
public record VaultLease(
    String leaseId,
    String namespace,
    String path,
    Instant issuedAt,
    Instant expiresAt,
    boolean renewable,
    int renewals,
    boolean revoked) {}
