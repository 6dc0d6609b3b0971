package io.tensorslab.cli.args;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The command's argument parser on a command of its own: forms, lists, the usage errors' wording, the help. */
class ArgParserTest {

  /** Options of every kind, written into fields. */
  static final class Probe extends Command {
    List<String> inputs;
    List<String> features;
    int threads = 4;
    long batch = 1024;
    Path out;
    boolean quiet;
    boolean ran;
    RuntimeException fails;

    @Override
    protected CommandSpec spec() {
      return new CommandSpec("Probes the parser.", "Parses its options into fields and runs when they fit.")
          .requiredList("--tfrecord", "INPUT", v -> inputs = v, "Inputs, comma-separated or repeated.")
          .repeated("--feature", "NAME:DTYPE:SHAPE", v -> features = v, "A feature, repeatable.")
          .value("--threads", "N", Converter.INT, v -> threads = v, "Threads (default: 4).")
          .value("--batch", "N", Converter.LONG, v -> batch = v, "Records per call, a description long enough "
              + "to be wrapped onto a second line under the first (default: 1024).")
          .requiredValue("--out", "DIR", Converter.PATH, v -> out = v, "Output directory.")
          .flag("--quiet", () -> quiet = true, "No progress bar.")
          .footer("", "Exit codes: 0 ok.");
    }

    @Override
    public Integer call() {
      ran = true;
      stdout().print("ran");
      if (fails != null) {
        throw fails;
      }
      return 7;
    }
  }

  /** Positional parameters, one or more. */
  static final class Files extends Command {
    List<String> files;
    boolean quiet;

    @Override
    protected CommandSpec spec() {
      return new CommandSpec("Takes files.").positionals("FILE", v -> files = v, "Files.")
          .flag("--quiet", () -> quiet = true, "Quiet.");
    }

    @Override
    public Integer call() {
      return 0;
    }
  }

  static final class Top extends Command {
    final Probe probe = new Probe();
    final Files files = new Files();

    @Override
    protected CommandSpec spec() {
      return new CommandSpec("", "The top command.").subcommand("probe", () -> probe).subcommand("files", () -> files)
          .version(() -> List.of("probe 1.0", "second line"));
    }

    @Override
    public Integer call() {
      throw new UsageException("missing command: probe or files");
    }
  }

  record Run(Top top, int code, String out, String err) {}

  static Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    Top top = new Top();
    int code = new CommandRunner("tensorslab", () -> top, new PrintWriter(out), new PrintWriter(err),
        (e, command, w) -> {
          w.println(command + ": " + e.getMessage() + " (see '" + command + " --help')");
          w.flush();
          return 2;
        },
        (e, command, w) -> {
          w.println(command + ": failed: " + e.getMessage());
          w.flush();
          return 1;
        }).execute(args);
    return new Run(top, code, out.toString(), err.toString());
  }

  static void assertUsage(String expected, String... args) {
    Run r = run(args);
    assertEquals(2, r.code(), r.err());
    assertEquals(expected + "\n", r.err());
    assertEquals("", r.out());
  }

  @Test
  void equalsFormAndSeparateValue() {
    Run r = run("probe", "--out=o", "--threads", "3", "--batch=77", "--tfrecord", "a", "--quiet");
    assertEquals(7, r.code(), r.err());
    Probe p = r.top().probe;
    assertTrue(p.ran);
    assertEquals(Path.of("o"), p.out);
    assertEquals(3, p.threads);
    assertEquals(77, p.batch);
    assertTrue(p.quiet);
    assertEquals("ran", r.out());
  }

  @Test
  void absentOptionsKeepTheirFieldsInitialValues() {
    Probe p = run("probe", "--tfrecord", "a", "--out", "o").top().probe;
    assertEquals(4, p.threads);
    assertEquals(1024, p.batch);
    assertFalse(p.quiet);
    assertNull(p.features, "a list option not given stays null");
  }

  @Test
  void splitListsAndRepeatableOptions() {
    Probe p = run("probe", "--tfrecord", "a,b", "--feature", "x:float32:2,2", "--tfrecord=c", "--feature=y:int64:",
        "--out", "o").top().probe;
    assertEquals(List.of("a", "b", "c"), p.inputs);
    assertEquals(List.of("x:float32:2,2", "y:int64:"), p.features, "no split: commas are part of the value");
  }

  @Test
  void aNegativeNumberIsAValue() {
    assertEquals(-1, run("probe", "--tfrecord", "a", "--out", "o", "--threads", "-1").top().probe.threads);
  }

  @Test
  void doubleDashEndsTheOptions() {
    Files f = run("files", "a", "--quiet", "--", "--quiet", "-x").top().files;
    assertEquals(List.of("a", "--quiet", "-x"), f.files);
    assertTrue(f.quiet);
  }

  @Test
  void unknownOption() {
    assertUsage("tensorslab probe: Unknown option: '--bogus' (see 'tensorslab probe --help')",
        "probe", "--tfrecord", "a", "--bogus", "--out", "o");
    assertUsage("tensorslab: Unknown option: '--bogus=1' (see 'tensorslab --help')", "--bogus=1");
  }

  @Test
  void missingValue() {
    assertUsage("tensorslab probe: Missing required parameter for option '--out' (DIR) (see 'tensorslab probe --help')",
        "probe", "--tfrecord", "a", "--out");
    assertUsage("tensorslab probe: Expected parameter for option '--out' but found '--quiet' (see 'tensorslab probe "
        + "--help')", "probe", "--tfrecord", "a", "--out", "--quiet");
  }

  @Test
  void singleValuedOptionGivenTwice() {
    assertUsage("tensorslab probe: option '--out' (DIR) should be specified only once (see 'tensorslab probe --help')",
        "probe", "--tfrecord", "a", "--out", "o", "--out=p");
    assertUsage("tensorslab probe: option '--quiet' should be specified only once (see 'tensorslab probe --help')",
        "probe", "--tfrecord", "a", "--out", "o", "--quiet", "--quiet");
  }

  @Test
  void flagWithAValue() {
    assertUsage("tensorslab probe: option '--quiet' should be specified without 'yes' parameter (see 'tensorslab "
        + "probe --help')", "probe", "--tfrecord", "a", "--out", "o", "--quiet=yes");
  }

  @Test
  void requiredOptionsMissing() {
    assertUsage("tensorslab probe: Missing required option: '--out=DIR' (see 'tensorslab probe --help')",
        "probe", "--tfrecord", "a");
    assertUsage("tensorslab probe: Missing required options: '--tfrecord=INPUT', '--out=DIR' (see 'tensorslab probe "
        + "--help')", "probe", "--quiet");
    assertUsage("tensorslab files: Missing required parameter: 'FILE' (see 'tensorslab files --help')", "files");
  }

  @Test
  void badNumbers() {
    assertUsage("tensorslab probe: Invalid value for option '--threads': 'x' is not an int (see 'tensorslab probe "
        + "--help')", "probe", "--tfrecord", "a", "--out", "o", "--threads", "x");
    assertUsage("tensorslab probe: Invalid value for option '--batch': '1.5' is not a long (see 'tensorslab probe "
        + "--help')", "probe", "--tfrecord", "a", "--out", "o", "--batch=1.5");
  }

  @Test
  void unmatchedArguments() {
    assertUsage("tensorslab: Unmatched argument at index 0: 'frobnicate' (see 'tensorslab --help')", "frobnicate");
    assertUsage("tensorslab probe: Unmatched argument at index 5: 'extra' (see 'tensorslab probe --help')",
        "probe", "--tfrecord", "a", "--out", "o", "extra");
    assertUsage("tensorslab: missing command: probe or files (see 'tensorslab --help')");
  }

  @Test
  void errorsOfTheCommandGoToTheHandlers() {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    for (RuntimeException e : List.of(new UsageException("option '--out': no"), new IllegalStateException("broken"))) {
      Probe probe = new Probe();
      probe.fails = e;
      int code = new CommandRunner("t", () -> probe, new PrintWriter(out), new PrintWriter(err),
          (x, command, w) -> 2, (x, command, w) -> 1).execute("--tfrecord", "a", "--out", "o");
      assertEquals(e instanceof UsageException ? 2 : 1, code);
    }
  }

  @Test
  void helpGoesToStdoutEvenWithoutTheRequiredOptions() {
    Run r = run("probe", "--quiet", "--help", "--bogus");
    assertEquals(0, r.code());
    assertEquals("", r.err());
    assertFalse(r.top().probe.ran);
    String expected = """
        Usage: tensorslab probe [-hV] --tfrecord=INPUT[,INPUT...]...
                                [--feature=NAME:DTYPE:SHAPE]... [--threads=N]
                                [--batch=N] --out=DIR [--quiet]
        Parses its options into fields and runs when they fit.
              --tfrecord=INPUT[,INPUT...]
                            Inputs, comma-separated or repeated.
              --feature=NAME:DTYPE:SHAPE
                            A feature, repeatable.
              --threads=N   Threads (default: 4).
              --batch=N     Records per call, a description long enough to be wrapped
                              onto a second line under the first (default: 1024).
              --out=DIR     Output directory.
              --quiet       No progress bar.
          -h, --help        Show this help message and exit.
          -V, --version     Print version information and exit.

        Exit codes: 0 ok.
        """;
    assertEquals(expected, r.out());
    assertTrue(r.out().lines().allMatch(line -> line.length() <= 80), r.out());
  }

  @Test
  void topLevelHelpListsTheCommands() {
    Run r = run("-h");
    assertEquals(0, r.code());
    assertTrue(r.out().startsWith("Usage: tensorslab [-hV] [COMMAND]\nThe top command.\n"), r.out());
    assertTrue(r.out().contains("Commands:\n  probe  Probes the parser.\n  files  Takes files.\n"), r.out());
  }

  @Test
  void versionOnEveryCommand() {
    for (String[] args : List.of(new String[] {"--version"}, new String[] {"probe", "-V"})) {
      Run r = run(args);
      assertEquals(0, r.code());
      assertEquals("probe 1.0\nsecond line\n", r.out());
      assertEquals("", r.err());
    }
  }
}
