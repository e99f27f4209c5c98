#!/bin/sh
# 6 lines 3 code 2 comments 1 blanks

set -e
echo "hello"  # trailing
exit 0
