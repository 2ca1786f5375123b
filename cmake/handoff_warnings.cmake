# Our own code compiles warning-free under a strict set; dependencies are not held to it.
function(handoff_strict target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Werror)
endfunction()
