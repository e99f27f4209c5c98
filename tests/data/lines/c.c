// 10 lines 5 code 4 comments 1 blanks
/* a block
   comment of three
   lines */
#include <stdio.h>

int main(void) {
    printf("hi\n"); // trailing
    return 0;
}
