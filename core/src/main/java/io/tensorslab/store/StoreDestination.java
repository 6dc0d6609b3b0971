package io.tensorslab.store;

import java.nio.file.Path;
import java.util.Objects;

/**
 * Where stores go and how they are published.
 *
 * @param directory the output directory; it must exist (the export creates it)
 * @param overwrite replace what is at a target when publishing; without it a target that exists is
 *     refused when the store is created, and one that appears before publishing is left untouched
 * @param durable force data and directory entries to disk before a store counts as published
 */
public record StoreDestination(Path directory, boolean overwrite, boolean durable) {

  public StoreDestination {
    directory = Objects.requireNonNull(directory, "directory").toAbsolutePath().normalize();
  }
}
