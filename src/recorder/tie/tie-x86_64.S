# camera-recorder's tie: tie PARENT_PID PROGRAM ARGS...
# Arms the parent-death signal SIGKILL, checks the parent is still PARENT_PID, execs PROGRAM.
# Exit 70: the parent died first; 127: too few arguments, or PROGRAM could not be executed.
        .intel_syntax noprefix
        .globl _start
        .text
_start:
        cmp     qword ptr [rsp], 3      # argc: tie, PARENT_PID, PROGRAM at least
        jb      cannot_exec
        mov     edi, 1                  # prctl(PR_SET_PDEATHSIG, SIGKILL)
        mov     esi, 9
        mov     eax, 157
        syscall
        mov     rsi, [rsp + 16]         # argv[1]: the parent's pid, decimal
        xor     r12d, r12d
parse:
        movzx   edx, byte ptr [rsi]
        test    edx, edx
        jz      parsed
        sub     edx, 48
        imul    r12, r12, 10
        add     r12, rdx
        inc     rsi
        jmp     parse
parsed:
        mov     eax, 110                # getppid(): reparented means the parent is gone
        syscall
        cmp     rax, r12
        jne     parent_gone
        mov     rdi, [rsp + 24]         # execve(argv[2], &argv[2], envp)
        lea     rsi, [rsp + 24]
        mov     rax, [rsp]
        lea     rdx, [rsp + rax * 8 + 16]
        mov     eax, 59
        syscall
cannot_exec:
        mov     edi, 127
        jmp     leave
parent_gone:
        mov     edi, 70
leave:
        mov     eax, 231                # exit_group
        syscall
