// camera-recorder's tie: tie PARENT_PID PROGRAM ARGS...
// Arms the parent-death signal SIGKILL, checks the parent is still PARENT_PID, execs PROGRAM.
// Exit 70: the parent died first; 127: too few arguments, or PROGRAM could not be executed.
        .globl _start
        .text
_start:
        ldr     x9, [sp]                // argc: tie, PARENT_PID, PROGRAM at least
        cmp     x9, #3
        b.lo    cannot_exec
        mov     x0, #1                  // prctl(PR_SET_PDEATHSIG, SIGKILL)
        mov     x1, #9
        mov     x8, #167
        svc     #0
        ldr     x10, [sp, #16]          // argv[1]: the parent's pid, decimal
        mov     x11, #0
        mov     x12, #10
parse:
        ldrb    w13, [x10], #1
        cbz     w13, parsed
        sub     x13, x13, #48
        madd    x11, x11, x12, x13
        b       parse
parsed:
        mov     x8, #173                // getppid(): reparented means the parent is gone
        svc     #0
        cmp     x0, x11
        b.ne    parent_gone
        ldr     x0, [sp, #24]           // execve(argv[2], &argv[2], envp)
        add     x1, sp, #24
        add     x2, sp, x9, lsl #3
        add     x2, x2, #16
        mov     x8, #221
        svc     #0
cannot_exec:
        mov     x0, #127
        b       leave
parent_gone:
        mov     x0, #70
leave:
        mov     x8, #94                 // exit_group
        svc     #0
