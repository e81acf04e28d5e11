#!/bin/sh
# bmad-agent.sh: plays one bmadflow agent step with an LLM command-line tool, non-interactively.
#
# bmadflow starts this script in the step's workspace with the step's prompt on standard input and
# the step's BMADFLOW_* variables (docs/agents.md). The script
#   1. finds what the step plays: a BMAD v6 skill (BMADFLOW_SKILL, or BMADFLOW_USES when a skill of
#      that name is installed) under _bmad/ (or .claude/skills/, .agents/skills/), whose SKILL.md it
#      inlines; else a BMAD v4 agent, .bmad-core/agents/<agent>.md (or an expansion pack's
#      .bmad-*/agents/<agent>.md), with the task BMADFLOW_USES names (.bmad-core/tasks/<uses>.md);
#      else v6's skill of that agent, bmad-agent-<agent>;
#   2. runs the LLM CLI on the whole prompt (persona or skill, then bmadflow's step prompt) in the
#      workspace, with no user to answer questions;
#   3. passes the LLM's output through (its own BMADFLOW-* lines and its final message, the step's
#      summary) and prints a BMADFLOW-ARTIFACT line for every file the LLM created or changed, so
#      the step's files are reported even when the LLM forgets to.
#
# Which LLM CLI: the first argument, else BMAD_AGENT_LLM (an agent's environment is an allow-list:
# name BMAD_AGENT_LLM in the worker's BMADFLOW_AGENT_ENV), else claude.
#   claude     Claude Code: claude -p --permission-mode acceptEdits --output-format text
#   codex      OpenAI Codex CLI: codex exec --sandbox workspace-write --skip-git-repo-check
#              --ephemeral --cd <workspace> -
#   <command>  any other command line (split on blanks), fed the prompt on standard input
# BMAD_AGENT_LLM_ARGS: more arguments for the CLI (split on blanks), for example
#   --model sonnet, or --allowedTools Bash(npm test:*) for a dev agent that runs tests.
# BMAD_ROOT: where BMAD is installed (.bmad-core/, _bmad/), default the workspace.
#
# Exit: the LLM's exit code (bmadflow retries a failed attempt); 2 for a usage error.
set -eu

die() {
  printf 'bmad-agent.sh: %s\n' "$*" >&2
  exit 2
}

llm=${1:-${BMAD_AGENT_LLM:-claude}}
workspace=${BMADFLOW_WORKSPACE:-$(pwd)}
agent=${BMADFLOW_AGENT:-}
[ -n "$agent" ] || die "BMADFLOW_AGENT is not set: run this script as a bmadflow agent command"
root=${BMAD_ROOT:-$workspace}
cd "$workspace" || die "cannot enter the workspace $workspace"
scratch=${TMPDIR:-/tmp}
[ -d "$scratch" ] || mkdir -p "$scratch"
run=$(mktemp -d "$scratch/bmad-agent.XXXXXX")
trap 'rm -rf "$run"' EXIT
trap 'exit 143' TERM
trap 'exit 130' INT

# ---- what the step plays ------------------------------------------------------------------------

# A file or folder name must be one plain name: no '/', no leading dot, nothing a glob would expand.
plain_name() {
  case $1 in
    '' | .* | */* | *[!A-Za-z0-9._:-]*) return 1 ;;
    *) return 0 ;;
  esac
}

# The SKILL.md of a v6 skill (the part before ':' of bmad-create-story:validate), or nothing.
skill_file() {
  name=${1%%:*}
  plain_name "$name" || return 0
  for dir in "$root/_bmad" "$root/.claude/skills" "$root/.agents/skills"; do
    [ -d "$dir" ] || continue
    found=$(find "$dir" -type f -name SKILL.md -path "*/$name/SKILL.md" 2>/dev/null | sort | head -n 1)
    if [ -n "$found" ]; then
      printf '%s\n' "$found"
      return 0
    fi
  done
}

skill=${BMADFLOW_SKILL:-}
skill_md=
if [ -n "$skill" ]; then
  skill_md=$(skill_file "$skill")
  [ -n "$skill_md" ] || die "skill $skill (BMADFLOW_SKILL) has no $skill/SKILL.md under $root/_bmad, .claude/skills or .agents/skills: install BMAD v6 into the project (npx bmad-method install) or set BMAD_ROOT"
elif [ -n "${BMADFLOW_USES:-}" ]; then
  skill_md=$(skill_file "$BMADFLOW_USES")
  [ -z "$skill_md" ] || skill=$BMADFLOW_USES
fi

persona=
task=
if [ -z "$skill_md" ]; then
  plain_name "$agent" || die "agent name '$agent' is not a plain file name"
  if [ -f "$root/.bmad-core/agents/$agent.md" ]; then
    persona="$root/.bmad-core/agents/$agent.md"
  else
    for pack in "$root"/.bmad-*/agents/"$agent".md; do
      if [ -f "$pack" ]; then
        persona=$pack
        break
      fi
    done
  fi
  if [ -z "$persona" ]; then
    # BMAD v6 installs its agents as skills too: bmad-agent-pm, bmad-agent-architect...
    skill_md=$(skill_file "bmad-agent-$agent")
    [ -n "$skill_md" ] || die "no BMAD v4 agent $agent: $root/.bmad-core/agents/$agent.md (or .bmad-*/agents/$agent.md) is missing, there is no v6 agent skill bmad-agent-$agent, and the step names no v6 skill; install BMAD into the project (npx bmad-method install) or set BMAD_ROOT"
    skill=bmad-agent-$agent
  fi
  uses=${BMADFLOW_USES:-}
  if [ -n "$persona" ] && [ -n "$uses" ] && plain_name "$uses"; then
    core=$(dirname "$(dirname "$persona")")
    for candidate in "$core/tasks/$uses.md" "$root/.bmad-core/tasks/$uses.md"; do
      if [ -f "$candidate" ]; then
        task=$candidate
        break
      fi
    done
  fi
fi

# ---- the prompt ---------------------------------------------------------------------------------

prompt="$run/prompt.md"
{
  printf '# Non-interactive BMAD run\n\n'
  printf 'No user is present: do not ask questions, do not show menus or wait for a choice, do not\n'
  printf 'halt for elicitation. Where BMAD would ask, decide with what the workspace holds, note the\n'
  printf 'assumption in the document you write, and go on. Work in the current directory, the\n'
  printf "project's workspace, and write every file there. Finish the step below and end with a\n"
  printf 'one-line summary.\n\n'
  if [ -n "$skill_md" ]; then
    printf '## The BMAD skill %s\n\n' "$skill"
    printf 'Its folder is %s: read its step files and templates from there as SKILL.md says.\n\n' "$(dirname "$skill_md")"
    cat "$skill_md"
  else
    printf '## Your BMAD agent persona (%s)\n\n' "$persona"
    printf 'Activate as this agent, skipping its greeting and its wait for commands.\n\n'
    cat "$persona"
    if [ -n "$task" ]; then
      printf '\n\n## The task to run (%s)\n\n' "$task"
      cat "$task"
    fi
  fi
  printf '\n\n'
  cat
} >"$prompt"

# ---- the run ------------------------------------------------------------------------------------

# Files changed from here on are the step's: a marker to compare modification times with.
marker="$run/started"
: >"$marker"
# Some file systems keep whole seconds: a file written in the marker's second would look older.
sleep 1

extra=${BMAD_AGENT_LLM_ARGS:-}
status=0
case $llm in
  claude)
    # shellcheck disable=SC2086 # BMAD_AGENT_LLM_ARGS is a list of blank-separated arguments
    claude -p --permission-mode acceptEdits --output-format text $extra <"$prompt" || status=$?
    ;;
  codex)
    # shellcheck disable=SC2086 # as above
    codex exec --sandbox workspace-write --skip-git-repo-check --ephemeral --cd "$workspace" $extra - \
      <"$prompt" || status=$?
    ;;
  *)
    # shellcheck disable=SC2086 # a command line of blank-separated words, like bmadflow's own
    $llm $extra <"$prompt" || status=$?
    ;;
esac
if [ "$status" -ne 0 ]; then
  printf 'bmad-agent.sh: %s failed with exit code %s\n' "$llm" "$status" >&2
  exit "$status"
fi

# ---- the step's files ---------------------------------------------------------------------------

# Regular files only (bmadflow refuses links out of the workspace), outside bmadflow's own
# .bmadflow/ (the agent's HOME and TMPDIR are there), .git/ and BMAD's installation.
find . \( -path ./.bmadflow -o -path ./.git -o -path ./.bmad-core -o -path ./_bmad \) -prune \
  -o -type f -newer "$marker" -print | LC_ALL=C sort | while IFS= read -r file; do
  path=${file#./}
  case $path in
    *\\*) printf 'bmad-agent.sh: not reporting %s: bmadflow takes no backslash in a path\n' "$path" >&2 ;;
    *) printf 'BMADFLOW-ARTIFACT: %s\n' "$path" ;;
  esac
done
