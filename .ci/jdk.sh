# Sourced by ./build and ./tensorslab: sets TENSORSLAB_JAVA_HOME to a JDK >= 25.
# Order: $JAVA_HOME when it is new enough, else the newest JDK >= 25 under /usr/lib/jvm.

tensorslab_java_major() { # prints the feature version of the JDK at $1, or nothing
  local release="$1/release" v
  [ -x "$1/bin/java" ] || return 0
  if [ -f "$release" ]; then
    v=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$release")
  else
    v=$("$1/bin/java" -version 2>&1 | sed -n '1s/.*version "\([0-9]*\).*/\1/p')
  fi
  printf '%s' "$v"
}

tensorslab_find_jdk() {
  local min=25 best="" best_v=0 dir v
  if [ -n "${JAVA_HOME:-}" ]; then
    v=$(tensorslab_java_major "$JAVA_HOME")
    if [ -n "$v" ] && [ "$v" -ge "$min" ]; then TENSORSLAB_JAVA_HOME=$JAVA_HOME; return 0; fi
  fi
  for dir in /usr/lib/jvm/*; do
    [ -d "$dir" ] && [ ! -L "$dir" ] || continue
    v=$(tensorslab_java_major "$dir")
    if [ -n "$v" ] && [ "$v" -ge "$min" ] && [ "$v" -gt "$best_v" ]; then best=$dir; best_v=$v; fi
  done
  if [ -z "$best" ]; then
    echo "tensorslab: needs a JDK 25 or newer (the classes are Java 25); install one, e.g. Temurin 25 under /usr/lib/jvm, or set JAVA_HOME to it" >&2
    return 1
  fi
  TENSORSLAB_JAVA_HOME=$best
}
