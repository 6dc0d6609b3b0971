package io.tensorslab.store;

import io.tensorslab.slab.OutputFiles;
import io.tensorslab.slab.TemporaryFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Publishes the finished stores of one export all or nothing, also when the process is killed.
 *
 * <p>Before the first move a <em>commit journal</em> {@code .commit.PID-N.tensorslab-commit} is
 * written (under a temporary name, then renamed, forced when durable) into the output directory,
 * listing every staged file and its target. Then each file is moved into place ({@link
 * OutputFiles#moveIntoPlace}), the directories are forced, and the journal is deleted. Every staged
 * file is complete before the journal exists, so a process killed at any moment leaves either
 * <ul>
 *   <li>no journal: no target was touched (the earlier state, plus temporary files the next export
 *       removes), or every move was made (the whole new export); or
 *   <li>a journal: {@link #recover} — run by the next export into the directory and by
 *       {@code tensorslab inspect} — makes the remaining moves, giving the whole new export.
 * </ul>
 * Extra staged files (the manifest) go last, so a manifest present means every array is.
 *
 * <p>A failure inside a running commit (a file appeared at a target without overwrite, an I/O
 * error) removes the targets this commit already placed; files it replaced with overwrite are gone.
 */
public final class StoreCommit {
  /** Suffix of commit journals. */
  public static final String JOURNAL_SUFFIX = ".tensorslab-commit";
  private static final String FORMAT = "tensorslab-commit/1";
  private static final Pattern JOURNAL = Pattern.compile("^\\.commit\\.(\\d+)-\\d+" + Pattern.quote(JOURNAL_SUFFIX) + "$");
  private static final AtomicLong COUNTER = new AtomicLong();
  /**
   * Milliseconds to wait between two moves: 0 except in the kill test, which sets the system property
   * {@code tensorslab.commit.pauseMillis} in a child process to land a kill inside a commit.
   */
  private static final long PAUSE_MILLIS = Long.getLong("tensorslab.commit.pauseMillis", 0);

  private StoreCommit() {}

  /**
   * Moves the staged files of {@code stores}, then {@code extra}, into place as one commit, and
   * marks the stores published.
   *
   * @throws java.nio.file.FileAlreadyExistsException without overwrite, when something appeared at a
   *     target: nothing of this commit is then left at a final path
   */
  public static void publish(StoreDestination destination, List<RowStore> stores, List<StagedFile> extra)
      throws IOException {
    List<StagedFile> moves = new ArrayList<>();
    for (RowStore s : stores) {
      moves.addAll(s.staged());
    }
    moves.addAll(extra);
    Path dir = destination.directory();
    Path journal = moves.size() > 1 ? writeJournal(dir, moves, destination) : null;
    List<Path> placed = new ArrayList<>();
    boolean success = false;
    try {
      for (StagedFile m : moves) {
        if (!placed.isEmpty()) {
          pauseForTest();
        }
        OutputFiles.moveIntoPlace(m.temporary(), m.target(), destination.overwrite());
        placed.add(m.target());
      }
      if (destination.durable()) {
        parentsOf(moves).forEach(OutputFiles::syncDirectory);
      }
      success = true;
    } finally {
      if (!success) {
        for (Path p : placed) {
          Files.deleteIfExists(p);
        }
        for (StagedFile m : moves) {
          Files.deleteIfExists(m.temporary());
        }
      }
      if (journal != null) {
        Files.deleteIfExists(journal);
      }
    }
    stores.forEach(RowStore::published);
  }

  private static void pauseForTest() {
    if (PAUSE_MILLIS > 0) {
      try {
        Thread.sleep(PAUSE_MILLIS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private static Set<Path> parentsOf(List<StagedFile> moves) {
    Set<Path> parents = new LinkedHashSet<>();
    moves.forEach(m -> parents.add(m.target().toAbsolutePath().getParent()));
    return parents;
  }

  private static Path writeJournal(Path dir, List<StagedFile> moves, StoreDestination destination)
      throws IOException {
    StringBuilder sb = new StringBuilder(FORMAT).append('\n');
    sb.append(destination.overwrite() ? "overwrite" : "no-overwrite").append('\n');
    for (StagedFile m : moves) {
      sb.append(dir.relativize(m.temporary().toAbsolutePath())).append('\t')
          .append(dir.relativize(m.target().toAbsolutePath())).append('\n');
    }
    Path journal = dir.resolve(".commit." + ProcessHandle.current().pid() + "-" + COUNTER.incrementAndGet()
        + JOURNAL_SUFFIX);
    Path temporary = TemporaryFiles.beside(journal);
    try {
      Files.write(temporary, sb.toString().getBytes(StandardCharsets.UTF_8), StandardOpenOption.CREATE_NEW,
          StandardOpenOption.WRITE, destination.durable() ? StandardOpenOption.SYNC : StandardOpenOption.WRITE);
      Files.move(temporary, journal, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      Files.deleteIfExists(temporary);
      throw new IOException("writing the commit journal failed: " + e.getMessage() + " (path=" + journal + ")", e);
    }
    if (destination.durable()) {
      OutputFiles.syncDirectory(dir);
    }
    return journal;
  }

  /** True when {@code file} is named like a commit journal. */
  public static boolean isJournal(Path file) {
    return JOURNAL.matcher(file.getFileName().toString()).matches();
  }

  /**
   * Completes the commits in {@code dir} that a killed process left unfinished: moves every staged
   * file still present into place and deletes the journal. Journals of live processes are left alone.
   * A staged file whose target was taken meanwhile by another file (without overwrite) is deleted.
   *
   * @return how many commits were completed
   */
  public static int recover(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return 0;
    }
    List<Path> journals = new ArrayList<>();
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, ".commit.*" + JOURNAL_SUFFIX)) {
      for (Path file : files) {
        Matcher m = JOURNAL.matcher(file.getFileName().toString());
        if (m.matches() && !ProcessHandle.of(Long.parseLong(m.group(1))).map(ProcessHandle::isAlive).orElse(false)) {
          journals.add(file);
        }
      }
    } catch (NumberFormatException e) {
      // a pid too long for a long is no journal of ours
    }
    for (Path journal : journals) {
      complete(dir, journal);
    }
    return journals.size();
  }

  private static void complete(Path dir, Path journal) throws IOException {
    List<String> lines = Files.readAllLines(journal, StandardCharsets.UTF_8);
    if (lines.size() < 2 || !lines.get(0).equals(FORMAT)) {
      throw new IOException("unfinished export cannot be completed: the commit journal is not " + FORMAT
          + "; remove it and the export's files by hand (path=" + journal + ")");
    }
    boolean overwrite = lines.get(1).equals("overwrite");
    Path root = dir.toAbsolutePath().normalize();
    Set<Path> parents = new LinkedHashSet<>();
    for (String line : lines.subList(2, lines.size())) {
      String[] parts = line.split("\t", -1);
      if (parts.length != 2) {
        continue;
      }
      Path temporary = root.resolve(parts[0]).normalize();
      Path target = root.resolve(parts[1]).normalize();
      if (!temporary.startsWith(root) || !target.startsWith(root) || !Files.exists(temporary)) {
        continue; // already moved, or not a path inside the directory
      }
      if (Files.exists(target) && Files.isSameFile(temporary, target)) {
        Files.delete(temporary); // linked, killed before the temporary name was removed
      } else if (overwrite || !Files.exists(target)) {
        OutputFiles.moveIntoPlace(temporary, target, overwrite);
      } else {
        Files.delete(temporary);
      }
      parents.add(target.getParent());
    }
    parents.forEach(OutputFiles::syncDirectory);
    Files.delete(journal);
    OutputFiles.syncDirectory(root);
  }
}
