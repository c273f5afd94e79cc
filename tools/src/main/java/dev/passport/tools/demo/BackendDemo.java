package dev.passport.tools.demo;

import java.util.Map;

/**
 * One backend's part of {@code passport demo}: its local stand-in servers, the secret they hold,
 * the volume that asks for it and the counters that show what the host cost them. The story
 * itself (publish, republish, rotate, drop-in, unpublish) is {@link DemoStory}'s, the same for
 * every backend.
 */
public interface BackendDemo extends AutoCloseable {

  /** The pod's namespace and service account, the identity every backend's servers trust. */
  String NAMESPACE = "demo";
  String SERVICE_ACCOUNT = "web";

  /** The backend's id: the volume's {@code backend} attribute, the SecretProviderClass's provider. */
  String backend();

  /**
   * Starts the servers with the first version of the demo's secret in them and writes
   * {@code conf/<backend>.properties} pointing the plugin at them, as an operator would.
   *
   * @return what was started, for the transcript
   */
  String start(DemoSetting setting) throws Exception;

  /** The volume's parameters: the inline volume's attributes, the SecretProviderClass's alike. */
  Map<String, String> parameters();

  /** The volume's file of the password: {@link DemoStory#FIRST_PASSWORD}, then the rotated one. */
  default String passwordFile() {
    return "db-password";
  }

  /** The audience of the pod token the backend exchanges (the CSIDriver's tokenRequests). */
  String audience();

  /**
   * Puts a new version of the password into the backend.
   *
   * @return what changed, for the transcript
   */
  String rotate();

  /** The servers' own counters: token exchanges and reads per object. */
  String counts();

  /** The pod tokens the servers exchanged for credentials (logins, STS or Entra exchanges). */
  long exchanges();

  @Override
  void close();
}
