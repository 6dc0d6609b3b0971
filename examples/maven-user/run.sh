#!/usr/bin/env bash
# Uses TensorSlab as a library user does: installs tensorslab-core, builds this separate Maven
# project against the installed artifact, and runs the README's Java example with the JVM flags
# the README documents. Fails if the example fails or writes anything to stderr (a warning).
#
# The installation goes to a private local repository, a copy of ~/.m2/repository made in a
# temporary directory (the shared one is never written), and the build runs offline.
#   examples/maven-user/run.sh            # about a minute; needs ~1 GB in $TMPDIR for the copy
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
. "$root/.ci/jdk.sh"
tensorslab_find_jdk
export JAVA_HOME=$TENSORSLAB_JAVA_HOME
export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
repo=$work/repository

cp -r "$HOME/.m2/repository" "$repo"
"$root/build" -q -o -Dmaven.repo.local="$repo" -pl core -am install -DskipTests

project=$work/project
mkdir -p "$project/src/main/java"
cp "$here/pom.xml" "$project/"
# the README's whole-program block, exactly as a reader copies it
python3 - "$root/README.md" "$project/src/main/java/ExportExample.java" <<'PY'
import re, sys
blocks = re.findall(r"^```java\n(.*?)^```", open(sys.argv[1]).read(), re.S | re.M)
program = [b for b in blocks if "public class ExportExample" in b]
assert len(program) == 1, "README.md has no single ExportExample block"
open(sys.argv[2], "w").write(program[0])
PY
(cd "$project" && mvn -B -q -o -Dmaven.repo.local="$repo" compile dependency:build-classpath \
  -Dmdep.outputFile=classpath.txt)

run() {
  (cd "$project" && TF_CPP_MIN_LOG_LEVEL=3 "$JAVA_HOME/bin/java" "$@" \
    -cp "target/classes:$(cat classpath.txt)" ExportExample "$work/out" 2>"$work/stderr")
}
echo "--- with the documented flags"
run --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow
if [ -s "$work/stderr" ]; then
  echo "FAILED: the example wrote to stderr with the documented flags:" >&2
  cat "$work/stderr" >&2
  exit 1
fi
echo "stderr: empty"
echo "--- without them (for comparison)"
run
echo "stderr: $(grep -c WARNING "$work/stderr") WARNING lines"
