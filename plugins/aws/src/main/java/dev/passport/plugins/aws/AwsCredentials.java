package dev.passport.plugins.aws;

import java.time.Instant;

/** Temporary AWS credentials of one pod and role; {@link #toString()} shows the key id only. */
record AwsCredentials(String accessKeyId, String secretAccessKey, String sessionToken,
    Instant expiration) {

  @Override
  public String toString() {
    return "AwsCredentials[accessKeyId=" + accessKeyId + ", expiration=" + expiration + "]";
  }
}
