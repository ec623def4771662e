// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A slow reader whose pipe is non-blocking (test_cli.sh).
 *
 * Usage: slow_reader OUT COMMAND...
 *
 * Runs COMMAND with stdout the write end of a 4 KiB pipe set O_NONBLOCK.
 * O_NONBLOCK belongs to the open file description, which COMMAND's fd 1
 * shares, as when a log shipper sets it on a pipe it handed over. Reads
 * nothing for a second, so the pipe fills and writes fail with EAGAIN, then
 * reads 512 bytes every 20 ms into OUT. Exits with COMMAND's status.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int fds[2], status;
	char buf[512];
	ssize_t n;
	FILE *out;
	pid_t pid;

	if (argc < 3) {
		fprintf(stderr, "usage: slow_reader OUT COMMAND...\n");
		return 2;
	}
	if (pipe(fds) || fcntl(fds[1], F_SETPIPE_SZ, 4096) < 0 ||
	    fcntl(fds[1], F_SETFL, fcntl(fds[1], F_GETFL) | O_NONBLOCK)) {
		perror("slow_reader: pipe");
		return 1;
	}
	pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0) {
		dup2(fds[1], STDOUT_FILENO);
		close(fds[0]);
		close(fds[1]);
		execvp(argv[2], argv + 2);
		_exit(127);
	}
	close(fds[1]);
	out = fopen(argv[1], "wb");
	if (!out)
		return 1;
	sleep(1);
	while ((n = read(fds[0], buf, sizeof(buf))) > 0) {
		fwrite(buf, 1, (size_t)n, out);
		usleep(20000);
	}
	fclose(out);
	if (waitpid(pid, &status, 0) != pid)
		return 1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
