# Puts the CSS and the three scripts into the page template (cmake -P; see CMakeLists.txt).
# A script must not contain "</script" (it would end the element early): checked, not assumed.
file(READ ${TEMPLATE} page)
foreach(part STYLE VIZ ENGINE PAGE)
  file(READ ${${part}} text)
  string(FIND "${text}" "</script" bad)
  if(NOT bad EQUAL -1)
    message(FATAL_ERROR "${${part}} contains </script: it cannot be inlined as is")
  endif()
  string(REPLACE "/*@${part}@*/" "${text}" page "${page}")
endforeach()
file(WRITE ${OUT}.tmp "${page}")
file(RENAME ${OUT}.tmp ${OUT})
