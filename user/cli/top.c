// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <ncurses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "aggregate.h"
#include "clock.h"
#include "log.h"
#include "clock.h"
#include "stream.h"
#include "top.h"
#include "top_view.h"

#define FILTER_LEN 128

struct top {
	const struct env *env;
	bool screen; /* full screen; false: --batch snapshots */
	SCREEN *term;
	enum top_sort sort;
	char filter[FILTER_LEN];
	bool editing; /* typing a filter after '/' */
	char edit[FILTER_LEN];
	bool paused, help;
	unsigned int scroll;
	uint32_t refreshes;
	bool stdout_failed;
	bool stdout_closed; /* a write failed (EPIPE: the reader left); stop */
	/* the rows on screen: a copy, kept while paused */
	struct top_row *rows;
	unsigned int row_count, rows_cap;
	const struct top_row **view; /* rows filtered and sorted, for one refresh */
	unsigned int view_cap;
	double agent_cpu_percent; /* the last interval's figures of memsight itself */
	uint64_t agent_lost_total;
	uint64_t render_ns; /* the last refresh's cost, shown in --batch */
	struct strbuf text;
};

static void read_file(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, len - 1) : -1;

	buf[n > 0 ? n : 0] = '\0';
	if (fd >= 0)
		close(fd);
}

/* Copies the aggregate's entries into rows (kept as they are while paused). */
static void take_rows(struct top *t, struct aggregate *agg)
{
	unsigned int count = 0;
	/* top sorts its rows itself: the aggregate's path order would be undone */
	const struct aggregate_entry **entries = aggregate__list(agg, &count);

	if (!entries)
		return;
	if (count > t->rows_cap) {
		struct top_row *grown = realloc(t->rows, count * sizeof(*grown));

		if (!grown) {
			free(entries);
			return;
		}
		t->rows = grown;
		t->rows_cap = count;
	}
	top_rows_build(entries, count, aggregate__interval_ns(agg), clock_realtime_ns(), t->rows);
	t->row_count = count;
	free(entries);
}

static void summarize(const struct top *t, struct top_summary *sum)
{
	char buf[4096];

	memset(sum, 0, sizeof(*sum));
	sum->node = t->env->node;
	read_file("/proc/meminfo", buf, sizeof(buf));
	top_parse_meminfo(buf, &sum->mem_total_bytes, &sum->mem_available_bytes);
	read_file("/proc/pressure/memory", buf, sizeof(buf));
	sum->has_psi = top_parse_psi(buf, &sum->psi_some_avg10, &sum->psi_full_avg10);
	for (unsigned int i = 0; i < t->row_count; i++) {
		if (!t->rows[i].is_container)
			continue;
		sum->containers++;
		sum->exited += t->rows[i].exited;
	}
	sum->agent_cpu_percent = t->agent_cpu_percent;
	sum->lost_total = t->agent_lost_total;
	sum->sort = t->sort;
	sum->filter = t->filter;
	sum->paused = t->paused;
}

/* The rows to show, filtered and sorted: pointers to the rows, valid until the next call. */
static const struct top_row **visible_rows(struct top *t, unsigned int *count)
{
	*count = 0;
	if (t->row_count > t->view_cap) {
		const struct top_row **grown = realloc(t->view, t->row_count * sizeof(*grown));

		if (!grown)
			return t->view;
		t->view = grown;
		t->view_cap = t->row_count;
	}
	for (unsigned int i = 0; i < t->row_count; i++)
		t->view[i] = &t->rows[i];
	*count = top_rows_filter(t->view, t->row_count, t->filter);
	top_rows_sort(t->view, *count, t->sort);
	return t->view;
}

/* --batch: one snapshot of every row, all columns, names in full. */
static void print_snapshot(struct top *t)
{
	struct top_summary sum;
	struct top_layout layout;
	unsigned int count;
	const struct top_row **rows = visible_rows(t, &count);
	int ret;

	summarize(t, &sum);
	strbuf_reset(&t->text);
	top_format_summary(&t->text, &sum, 100000);
	top_layout_for(&layout, 100000);
	top_format_titles(&t->text, &layout, t->sort);
	for (unsigned int i = 0; i < count; i++)
		top_format_row(&t->text, &layout, rows[i]);
	strbuf_append(&t->text, "\n", 1);
	if (t->text.failed)
		return;
	ret = stream_write_stdout(t->text.buf, t->text.len);
	if (ret) {
		/* `top --batch | head` ends when head does, status 0 as for `stream` */
		if (ret != -EPIPE)
			log_error("can't write to stdout: %s", strerror(-ret));
		t->stdout_failed = ret != -EPIPE;
		t->stdout_closed = true;
	}
}

static const char *const help_lines[] = {
	"memsight top: every container's memory, right now",
	"",
	"  u  sort by usage              p  sort by % of limit",
	"  g  sort by growth (net charge per second)",
	"  f  sort by page faults per second",
	"  r  sort by reclaim stall (ms stalled per second)",
	"  o  sort by OOM kills (most recent first among equals)",
	"  w  sort by working set (usage minus inactive page cache)",
	"  t  sort by time to limit (soonest first; blank: not growing)",
	"  n  sort by name",
	"  /  filter by name or cgroup path (Enter applies, Esc clears)",
	"  space  pause (figures keep being collected)",
	"  up/down, PgUp/PgDn, Home  scroll",
	"  h or ?  this help          q  quit",
	"",
	"Rows marked [exited] are containers whose cgroup is gone; they stay for",
	"--tombstone (default 5m), so an OOM-killed container stays on screen.",
	"",
	"Press any key to go back.",
};

static void draw_line(int y, const char *text, size_t len, int cols, attr_t attr)
{
	/* the lines are built for the width; clip anyway, a resize may race */
	attron(attr);
	mvaddnstr(y, 0, text, (int)len);
	for (int x = getcurx(stdscr); x < cols && attr & A_REVERSE; x++)
		addch(' ');
	attroff(attr);
}

/* The keys, or the filter being typed, on the last line. */
static void draw_footer(struct top *t, int lines, int cols)
{
	const char *footer = "u usage p %lim g growth f faults r reclaim o OOM n name  / filter  "
			     "space pause  h help  q quit";

	if (t->editing) {
		strbuf_reset(&t->text);
		strbuf_printf(&t->text, "filter: %s_   (Enter applies, Esc clears)", t->edit);
		if (!t->text.failed)
			footer = t->text.buf;
	}
	if (lines > 0)
		draw_line(lines - 1, footer, strlen(footer), cols, A_REVERSE);
}

/* The help, over the rows. */
static void draw_help(int lines, int cols)
{
	int h = (int)(sizeof(help_lines) / sizeof(help_lines[0])), w = 0;

	for (int i = 0; i < h; i++)
		if ((int)strlen(help_lines[i]) > w)
			w = (int)strlen(help_lines[i]);
	for (int i = 0; i < h && 1 + i < lines; i++) {
		move(1 + i, 1);
		attron(A_REVERSE);
		addnstr(help_lines[i], cols - 2);
		for (int x = (int)strlen(help_lines[i]); x < w + 2 && x + 1 < cols - 1; x++)
			addch(' ');
		attroff(A_REVERSE);
	}
}

static void draw_screen(struct top *t)
{
	struct top_summary sum;
	struct top_layout layout;
	unsigned int count, body;
	int rows_on_screen, cols = COLS, lines = LINES, y = 0;
	const struct top_row **rows = visible_rows(t, &count);

	erase();
	summarize(t, &sum);
	strbuf_reset(&t->text);
	top_format_summary(&t->text, &sum, (unsigned int)cols);
	if (!t->text.failed) {
		char *second = strchr(t->text.buf, '\n');

		draw_line(y++, t->text.buf, (size_t)(second - t->text.buf), cols, A_BOLD);
		draw_line(y++, second + 1, strlen(second + 1) - 1, cols, A_NORMAL);
	}
	y++;
	top_layout_for(&layout, (unsigned int)cols);
	strbuf_reset(&t->text);
	top_format_titles(&t->text, &layout, t->sort);
	if (!t->text.failed && y < lines - 1)
		draw_line(y++, t->text.buf, t->text.len - 1, cols, A_REVERSE);
	rows_on_screen = lines - 1 - y;
	body = rows_on_screen > 0 ? (unsigned int)rows_on_screen : 0;
	if (t->scroll + body > count)
		t->scroll = count > body ? count - body : 0;
	for (unsigned int i = t->scroll; i < count && y < lines - 1; i++) {
		attr_t attr = A_NORMAL;

		strbuf_reset(&t->text);
		top_format_row(&t->text, &layout, rows[i]);
		if (rows[i]->exited)
			attr = rows[i]->oom_kills ? A_BOLD : A_DIM;
		else if (rows[i]->oom_kills || rows[i]->percent >= 90)
			attr = A_BOLD;
		if (!t->text.failed)
			draw_line(y++, t->text.buf, t->text.len - 1, cols, attr);
	}
	if (!count && y < lines - 1)
		mvaddstr(y, 0,
			 *t->filter ? "  (no row matches the filter)" : "  (no containers yet)");
	draw_footer(t, lines, cols);
	if (t->help)
		draw_help(lines, cols);
	refresh();
}

static void redraw(struct top *t)
{
	if (t->screen)
		draw_screen(t);
}

static bool on_interval(void *ctx, struct aggregate *agg, const struct memsight_agent_stats *agent)
{
	struct top *t = ctx;
	uint64_t start = clock_monotonic_ns();

	t->agent_cpu_percent = agent->cpu_percent;
	t->agent_lost_total = agent->events_lost;
	if (!t->paused)
		take_rows(t, agg);
	if (t->screen)
		draw_screen(t);
	else
		print_snapshot(t);
	t->render_ns = clock_monotonic_ns() - start;
	log_debug("refresh of %u rows took %.2f ms", t->row_count, (double)t->render_ns / 1e6);
	t->refreshes++;
	if (t->stdout_closed)
		return false;
	return !t->env->iterations || t->refreshes < t->env->iterations;
}

/* A key while typing a filter. */
static void edit_filter(struct top *t, int key)
{
	size_t len = strlen(t->edit);

	if (key == '\n' || key == KEY_ENTER || key == '\r') {
		snprintf(t->filter, sizeof(t->filter), "%s", t->edit);
		t->editing = false;
		t->scroll = 0;
	} else if (key == 27) { /* Esc */
		t->filter[0] = '\0';
		t->editing = false;
	} else if (key == KEY_BACKSPACE || key == 127 || key == 8) {
		if (len)
			t->edit[len - 1] = '\0';
	} else if (key >= 0x20 && key < 0x7f && len + 1 < sizeof(t->edit)) {
		t->edit[len] = (char)key;
		t->edit[len + 1] = '\0';
	}
}

static bool on_input(void *ctx, struct aggregate *agg)
{
	struct top *t = ctx;
	int key;

	while ((key = getch()) != ERR) {
		enum top_sort sort;

		if (t->editing) {
			edit_filter(t, key);
			continue;
		}
		if (t->help) {
			t->help = false;
			continue;
		}
		sort = top_sort_from_key(key);
		if (sort != TOP_SORTS) {
			t->sort = sort;
			t->scroll = 0;
			continue;
		}
		switch (key) {
		case 'q':
		case 'Q':
			return false;
		case '/':
			t->editing = true;
			snprintf(t->edit, sizeof(t->edit), "%s", t->filter);
			break;
		case ' ':
			t->paused = !t->paused;
			if (!t->paused)
				take_rows(t, agg);
			break;
		case 'h':
		case '?':
			t->help = true;
			break;
		case KEY_UP:
			t->scroll -= t->scroll > 0;
			break;
		case KEY_DOWN:
			t->scroll++;
			break;
		case KEY_PPAGE:
			t->scroll = t->scroll > (unsigned int)LINES / 2 ? t->scroll - LINES / 2 : 0;
			break;
		case KEY_NPAGE:
			t->scroll += (unsigned int)LINES / 2;
			break;
		case KEY_HOME:
			t->scroll = 0;
			break;
		case KEY_RESIZE:
			break;
		}
	}
	redraw(t);
	return true;
}

static void on_resize(void *ctx, struct aggregate *agg)
{
	struct top *t = ctx;
	struct winsize ws;

	if (!t->screen || ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) || !ws.ws_row || !ws.ws_col)
		return;
	resize_term(ws.ws_row, ws.ws_col);
	clearok(curscr, TRUE); /* repaint all: the terminal reflowed what was there */
	redraw(t);
}

/* Why the full screen can't be had here, or NULL when it can. */
static const char *no_screen_reason(void)
{
	const char *term = getenv("TERM");

	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))
		return "no terminal";
	if (!term || !*term || !strcmp(term, "dumb"))
		return "TERM is dumb or unset";
	return NULL;
}

static bool start_screen(struct top *t)
{
	t->term = newterm(NULL, stdout, stdin);
	if (!t->term)
		return false;
	set_term(t->term);
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	set_escdelay(25);
	curs_set(0);
	return true;
}

int top_run(const struct env *env)
{
	struct top t = { .env = env, .sort = TOP_SORT_USAGE };
	struct stream_view view = {
		.ctx = &t,
		.input_fd = -1,
		.on_interval = on_interval,
		.on_input = on_input,
		.on_resize = on_resize,
	};
	const char *why = env->batch ? NULL : no_screen_reason();
	int status;

	setlocale(LC_ALL, ""); /* UTF-8 names on a UTF-8 terminal */
	strbuf_init(&t.text);
	if (!env->batch && !why) {
		if (start_screen(&t)) {
			t.screen = true;
			view.input_fd = STDIN_FILENO;
		} else {
			why = "the terminal can't do it (check TERM)";
		}
	}
	if (!env->batch && !t.screen)
		log_info("top: %s; printing snapshots every interval, as --batch does", why);
	status = stream_run_view(env, &view);
	if (t.screen) {
		endwin();
		delscreen(t.term);
	}
	free(t.rows);
	free(t.view);
	strbuf_free(&t.text);
	return t.stdout_failed ? 1 : status;
}
