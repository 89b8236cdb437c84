"""A recipe or option that LightningCLI (jsonargparse) refuses, as one line that says what to fix.

jsonargparse explains a refused value with a page: the usage of every Trainer option, then the subtypes of a
Union, one bullet per subtype tried, the type and the repr of the given value (a 1,000-character line for a
fine-tuning run whose ``init_from`` weights do not fit). What the user needs is the option and the reason:

- when the reason is one of the zoo's own errors (an unknown ``init_from`` id, weights that do not fit the
  recipe's model, a missing dataset), that error, which already says what to do;
- otherwise the option, the reasons of the subtypes that could have applied, and the value given.
"""

from __future__ import annotations

import re

MAX_CHARS = 400  # a line a terminal shows in full
_NOISE = ("Does not validate against any of the Union subtypes", "Subtypes:", "Errors:", "Given value type:",
          "- Expected a <class 'NoneType'>")


def zoo_cause(err: BaseException) -> BaseException | None:
    """The innermost exception raised by the zoo's own code in ``err``'s chain of causes, if any."""
    found, seen = None, set()
    while err is not None and id(err) not in seen:
        seen.add(id(err))
        if type(err).__module__.split(".")[0] == "zoo":
            found = err
        err = err.__cause__ or err.__context__
    return found


def is_config_error(err: BaseException) -> bool:
    """Whether ``err`` is jsonargparse refusing a recipe or option (not a bug in the code a recipe names)."""
    import argparse

    text = str(err)
    return isinstance(err, argparse.ArgumentError) or type(err).__module__.split(".")[0] == "jsonargparse" or (
        isinstance(err, (ValueError, TypeError)) and ("Does not validate against" in text or "Parser key" in text))


def config_error_line(err: BaseException) -> str:
    """``err`` (raised while LightningCLI parsed or built a recipe) as one line of at most :data:`MAX_CHARS`."""
    cause = zoo_cause(err)
    if cause is not None:
        return " ".join(str(cause).split())
    text = str(err)
    key = re.search(r'Parser key "([^"]+)":', text)
    given = re.search(r"^\s*Given value: (.*)$", text, re.M)
    reasons = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith(_NOISE) or line.startswith(("Parser key", "Given value:")):
            continue
        reasons.append(line.removeprefix("- "))
    line = " ".join(" ".join(reasons).split()) or type(err).__name__
    if key:
        line = f"option --{key.group(1)}: {line}"
    if given:
        line += f" (given: {given.group(1).strip()})"
    if len(line) > MAX_CHARS:
        line = line[:MAX_CHARS - 3] + "..."
    return line + "; `zoo train RECIPE --print_config` prints every option the recipe accepts"
