/* FFMPEG_PATH inside the arm64 test root: runs the root's arm64 /usr/bin/ffmpeg under qemu, as binfmt_misc
   would on a machine set up for it (qemu-user does not follow execve, and the root has no shell).
   Built static, for this machine, by test/release/qemu.smoke.ts. */
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv) {
  char **args = calloc(argc + 4, sizeof *args);
  if (!args) return 127;
  args[0] = "/qemu-aarch64-static";
  args[1] = "-cpu";
  args[2] = "cortex-a53";
  args[3] = "/usr/bin/ffmpeg";
  for (int i = 1; i < argc; i++) args[i + 3] = argv[i];
  execv(args[0], args);
  return 127;
}
