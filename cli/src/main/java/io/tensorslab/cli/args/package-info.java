/**
 * The {@code tensorslab} command's argument parser: each command declares its options in code
 * ({@link io.tensorslab.cli.args.CommandSpec}: name, value label, description, a setter that writes the
 * field), and {@link io.tensorslab.cli.args.CommandRunner} parses a command line into them, prints
 * {@code --help} and {@code --version}, and turns errors into exit codes.
 *
 * <p>Why not a library: start-up time. The command is often run for a second's work, and picocli,
 * the usual choice, cost about 0.27 s of a fresh process: about 170 classes of Java 5 bytecode, which
 * the JDK's ahead-of-time cache (the launcher's {@code tensorslab.aot}) cannot hold, so they are
 * loaded and verified anew on every start, plus reflection over the annotations of every
 * subcommand. These few classes use no annotations and no reflection, are built only for the command
 * that runs, and the cache holds them.
 *
 * <p>What users see is kept from picocli: {@code --opt value} and {@code --opt=value}, {@code --}
 * ending the options, comma-separated and repeatable options, and picocli's wording for usage errors
 * ({@code Unknown option: '--bogus'}, {@code Missing required option: '--out=DIR'},
 * {@code Invalid value for option '--batch': 'x' is not a long}, ...), on which docs/cli.md and
 * scripts rely.
 */
package io.tensorslab.cli.args;
