package io.tensorslab.store;

import java.nio.file.Path;

/**
 * A finished file (or directory) under its temporary name and the final path it is published at.
 *
 * @param temporary where it is now, beside the target
 * @param target where it appears when published
 */
public record StagedFile(Path temporary, Path target) {}
