#!/usr/bin/env bash
# Checks that every command line the user documentation shows exists: in README.md and docs/*.md,
# each `watchstate COMMAND …` or `console COMMAND …` written as code (inline `…` or a fenced
# block) must name a command `watchstate --help` lists, and each of its options (--long, or -abc
# short clusters) must be in that command's --help or the global options. Documentation for
# something not built yet must not show it as a command.
#
# Usage: check_commands.sh PATH/TO/watchstate SOURCE_DIR
# Exit 0 when everything is found, 1 listing each file:line and what is missing.
set -euo pipefail

ws=$1
src=$2
[ -x "$ws" ] || { echo "check_commands: $ws is not an executable" >&2; exit 1; }

global_help=$("$ws" --help)
commands=$(printf '%s\n' "$global_help" | awk '/^Subcommands:/ {on = 1; next} on && /^  [a-z]/ {print $1}')
[ -n "$commands" ] || { echo "check_commands: no subcommands in '$ws --help'" >&2; exit 1; }

declare -A help_of
for c in $commands; do help_of[$c]=$("$ws" "$c" --help); done

# Whether help text $1 lists the long option $2 (--name) or the short option $2 (-x).
has_option() {
  local text=$1 opt=$2
  if [[ $opt == --* ]]; then
    grep -qE -- "(^|[ ,])${opt}([ ,=]|$)" <<<"$text"
  else
    grep -qE -- "(^|[ ,])${opt}(,|[ ]|$)" <<<"$text"
  fi
}

# Prints "LINE<TAB>CODE" for every piece of code in a markdown file: fenced block lines whole,
# and the inline `code` spans of the other lines (a span may go on over a line break).
code_of() {
  awk '
    /^[ \t]*```/ { fenced = !fenced; open = 0; next }
    fenced { print NR "\t" $0; next }
    {
      n = split($0, part, "`")
      for (i = 1; i <= n; i++) {
        if (i > 1) {                       # a backtick between part[i-1] and part[i]
          if (open) print start "\t" span
          open = !open
          span = ""
          start = NR
        }
        if (open) span = span (span == "" ? "" : " ") part[i]
      }
      if (/^[ \t]*$/ || /^[ \t]*[|#]/) open = 0  # a span never crosses a paragraph or table row
    }' "$1"
}

failures=0
fail() {
  echo "$1: $2" >&2
  failures=$((failures + 1))
}

checked=0
shopt -s nullglob
for file in "$src"/README.md "$src"/docs/*.md; do
  rel=${file#"$src"/}
  while IFS=$'\t' read -r line code; do
    read -r -a tok <<<"$code" || true
    n=${#tok[@]}
    for ((i = 0; i < n; i++)); do
      t=${tok[i]}
      [[ $t == \#* ]] && break # a shell comment: the rest is prose
      [[ $t == watchstate || $t == */watchstate || $t == console ]] || continue
      # `docker exec -ti watchstate …`: there `watchstate` is the container's name.
      j=$((i - 1))
      while ((j >= 0)) && [[ ${tok[j]} == -* ]]; do j=$((j - 1)); done
      if [[ $t == watchstate ]] && ((j >= 0)) && [[ ${tok[j]} == exec ]]; then continue; fi
      # Global options may come first; then the command; then its options.
      k=$((i + 1))
      cmd=""
      after_flag=""
      while ((k < n)); do
        a=${tok[k]}
        a=${a#[}
        a=${a%]}
        case $a in
          '|' | '||' | '&&' | ';' | '<' | '>' | '2>&1' | \#*) break ;;
        esac
        if [[ $a == -* && -z $cmd ]]; then
          after_flag=1
        elif [[ -z $cmd && -n $after_flag ]] && ! grep -qxF -- "$a" <<<"$commands"; then
          after_flag="" # the value of a global option (--output json)
        elif [[ -z $cmd ]]; then
          [[ $a =~ ^[a-z][a-z-]*(:[a-z-]+)?$ ]] || break # not a command word (prose, a placeholder)
          if ! grep -qxF -- "$a" <<<"$commands"; then
            fail "$rel:$line" "'watchstate $a' is not a command (watchstate --help)"
            break
          fi
          cmd=$a
          checked=$((checked + 1))
          k=$((k + 1))
          continue
        fi
        if [[ $a == --* ]]; then
          opt=${a%%=*}
          if ! has_option "${help_of[${cmd:-_none}]:-}" "$opt" && ! has_option "$global_help" "$opt"; then
            fail "$rel:$line" "'watchstate ${cmd:+$cmd }$opt': no such option"
          fi
        elif [[ $a =~ ^-[A-Za-z]+$ ]]; then
          for ((c = 1; c < ${#a}; c++)); do
            opt="-${a:c:1}"
            if ! has_option "${help_of[${cmd:-_none}]:-}" "$opt" && ! has_option "$global_help" "$opt"; then
              fail "$rel:$line" "'watchstate ${cmd:+$cmd }$a': no option $opt"
            fi
          done
        fi
        k=$((k + 1))
      done
    done
  done < <(code_of "$file")
done

if ((failures > 0)); then
  echo "check_commands: $failures problem(s) in the documentation's command lines" >&2
  exit 1
fi
((checked > 0)) || { echo "check_commands: found no command line to check in $src" >&2; exit 1; }
echo "check_commands: $checked command lines in README.md and docs/ name existing commands and options"
