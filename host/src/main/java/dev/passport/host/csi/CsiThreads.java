package dev.passport.host.csi;

/**
 * The sizes of the CSI call lanes ({@link CallLanes}): threads, and how many more calls may wait
 * for one. A call beyond both is answered RESOURCE_EXHAUSTED at once.
 *
 * @param publish NodePublishVolume calls running at once; each may wait on a fetch, so keep it
 *     above the fetch threads (cached republishes then always find a thread)
 * @param publishQueue NodePublishVolume calls waiting; at least the pods a node runs (110) so that
 *     a node's start-up burst queues instead of being refused
 * @param unpublish NodeUnpublishVolume calls at once (no fetch: unmount and state removal)
 * @param unpublishQueue NodeUnpublishVolume calls waiting
 * @param control Identity, NodeGetCapabilities, NodeGetInfo and the unimplemented calls at once
 * @param controlQueue those calls waiting
 */
public record CsiThreads(int publish, int publishQueue, int unpublish, int unpublishQueue,
    int control, int controlQueue) {

  public CsiThreads {
    atLeast(1, publish, "--publish-threads");
    atLeast(0, publishQueue, "--publish-queue");
    atLeast(1, unpublish, "unpublish threads");
    atLeast(0, unpublishQueue, "unpublish queue");
    atLeast(1, control, "control threads");
    atLeast(0, controlQueue, "control queue");
  }

  /** 16 publish threads + 128 waiting, 4 + 128 for unpublish, 2 + 64 for the rest. */
  public static CsiThreads defaults() {
    return new CsiThreads(16, 128, 4, 128, 2, 64);
  }

  /** These publish sizes, the rest as they are. */
  public CsiThreads withPublish(int threads, int queue) {
    return new CsiThreads(threads, queue, unpublish, unpublishQueue, control, controlQueue);
  }

  private static void atLeast(int least, int value, String name) {
    if (value < least) {
      throw new IllegalArgumentException(name + " must be at least " + least + ", got " + value);
    }
  }
}
