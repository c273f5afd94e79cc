package dev.passport.host.publish;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.Files;
import java.util.Optional;

/**
 * The only targets publish and unpublish act on: the directory kubelet gives an inline CSI volume,
 * {@code <kubelet-dir>/pods/<pod-uid>/volumes/kubernetes.io~csi/<volume-name>/mount}
 * ({@code getTargetPath} in kubernetes {@code pkg/volume/csi/csi_mounter.go}). Anything else is
 * not kubelet's, so a root driver must not create, write or delete there.
 *
 * <p>The kubelet dir itself is the operator's ({@code --kubelet-dir}, trusted; it may be a link).
 * Below it every existing component is checked with {@code lstat}: it must be a directory and not
 * a symbolic link, so the target resolves to where its name says. Those directories are kubelet's
 * (a container sees only the {@code mount} directory, read-only), so nobody but node root can swap
 * them between this check and the writer's.
 */
public final class KubeletTargets {

  /** kubelet's escaped plugin name for CSI ({@code kubernetes.io/csi}). */
  static final String CSI_PLUGIN_DIR = "kubernetes.io~csi";
  /** {@code pods / <uid> / volumes / kubernetes.io~csi / <name> / mount}. */
  private static final int DEPTH = 6;

  private final Path kubeletDir;
  /** The shape a target must have, for messages; built once, not on every publish. */
  private final String expected;

  /**
   * @param kubeletDir kubelet's {@code --root-dir}, {@code /var/lib/kubelet} by default; absolute
   */
  public KubeletTargets(Path kubeletDir) {
    requireNonNull(kubeletDir, "kubeletDir is null");
    if (!kubeletDir.isAbsolute()) {
      throw new IllegalArgumentException("kubelet dir must be an absolute path, got " + kubeletDir);
    }
    this.kubeletDir = kubeletDir.normalize();
    this.expected = "must be " + this.kubeletDir + "/pods/<pod-uid>/volumes/" + CSI_PLUGIN_DIR
        + "/<volume-name>/mount (kubelet's target for an inline CSI volume; --kubelet-dir "
        + this.kubeletDir + ")";
  }

  public Path kubeletDir() {
    return kubeletDir;
  }

  /** kubelet's target for the inline volume {@code volumeName} of pod {@code podUid}. */
  public Path targetOf(String podUid, String volumeName) {
    return kubeletDir.resolve("pods").resolve(podUid).resolve("volumes").resolve(CSI_PLUGIN_DIR)
        .resolve(volumeName).resolve("mount");
  }

  /**
   * The target of a NodePublishVolume call for the pod {@code podUid}: kubelet's shape, that pod's
   * directory, every component below the kubelet dir a real directory (the target itself may be
   * absent: the driver creates it; its parent exists, kubelet creates it).
   *
   * @throws PublishException INVALID_ARGUMENT naming what is wrong
   */
  Path forPublish(String targetPath, String podUid) throws PublishException {
    Path target = parse(targetPath);
    Optional<String> shape = shapeProblem(target);
    if (shape.isPresent()) {
      throw PublishException.invalid("target_path " + targetPath + " " + shape.get());
    }
    String uid = kubeletDir.relativize(target).getName(1).toString();
    if (!uid.equals(podUid)) {
      throw PublishException.invalid("target_path " + targetPath + " is in the directory of pod "
          + uid + ", but the request is for pod " + podUid);
    }
    Path current = kubeletDir;
    for (Path name : kubeletDir.relativize(target)) {
      current = current.resolve(name);
      Entry entry = lstat(current);
      if (entry == Entry.MISSING) {
        if (current.equals(target)) {
          return target;
        }
        throw PublishException.invalid("target_path " + targetPath + ": " + current
            + " does not exist; kubelet creates the target's parent before NodePublishVolume"
            + " (is --kubelet-dir " + kubeletDir + " kubelet's root dir?)");
      }
      if (entry != Entry.DIRECTORY) {
        throw PublishException.invalid("target_path " + targetPath + ": " + current + " "
            + entry.problem + "; Passport acts only on real directories below --kubelet-dir " + kubeletDir);
      }
    }
    return target;
  }

  /**
   * The target of a NodeUnpublishVolume call, or empty when it is not kubelet's (another shape,
   * outside the kubelet dir, or through a link or non-directory): such a path is left untouched,
   * and the call answers OK (kubelet retries any error forever). Missing components are fine: the
   * volume is then already gone.
   */
  Optional<Path> forUnpublish(String targetPath) {
    Path target;
    try {
      target = parse(targetPath);
    } catch (PublishException e) {
      return Optional.empty();
    }
    if (shapeProblem(target).isPresent()) {
      return Optional.empty();
    }
    Path current = kubeletDir;
    for (Path name : kubeletDir.relativize(target)) {
      current = current.resolve(name);
      Entry entry = lstat(current);
      if (entry == Entry.MISSING) {
        return Optional.of(target);
      }
      if (entry != Entry.DIRECTORY) {
        return Optional.empty();
      }
    }
    return Optional.of(target);
  }

  /** Why {@code target} is not kubelet's shape below the kubelet dir, if it is not. */
  private Optional<String> shapeProblem(Path target) {
    if (!target.startsWith(kubeletDir) || target.equals(kubeletDir)) {
      return Optional.of("is outside the kubelet dir: " + expected);
    }
    Path relative = kubeletDir.relativize(target);
    if (relative.getNameCount() != DEPTH
        || !relative.getName(0).toString().equals("pods")
        || !relative.getName(2).toString().equals("volumes")
        || !relative.getName(3).toString().equals(CSI_PLUGIN_DIR)
        || !relative.getName(5).toString().equals("mount")) {
      return Optional.of(expected);
    }
    for (Path name : relative) {
      String n = name.toString();
      if (n.equals(".") || n.equals("..")) {
        return Optional.of(expected);
      }
    }
    return Optional.empty();
  }

  /** What {@code lstat} finds at a component. */
  private enum Entry {
    MISSING(null),
    DIRECTORY(null),
    LINK("is a symbolic link"),
    OTHER("is not a directory"),
    // Unreadable is as good as foreign: refuse rather than guess.
    UNREADABLE("cannot be read");

    final String problem;

    Entry(String problem) {
      this.problem = problem;
    }
  }

  private static Entry lstat(Path path) {
    try {
      BasicFileAttributes attributes =
          Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      return attributes.isSymbolicLink() ? Entry.LINK
          : attributes.isDirectory() ? Entry.DIRECTORY : Entry.OTHER;
    } catch (NoSuchFileException e) {
      return Entry.MISSING;
    } catch (IOException e) {
      return Entry.UNREADABLE;
    }
  }

  private static Path parse(String value) throws PublishException {
    try {
      Path path = Path.of(value);
      if (!path.isAbsolute() || !path.normalize().equals(path)) {
        throw PublishException.invalid("target_path must be an absolute, normalized path, got "
            + value);
      }
      return path;
    } catch (InvalidPathException e) {
      throw PublishException.invalid("target_path is not a valid path: " + e.getMessage());
    }
  }

  @Override
  public String toString() {
    return "KubeletTargets[" + kubeletDir + "]";
  }
}
