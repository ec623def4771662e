// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "recommend_method.h"

#define MIB 1048576.0

uint64_t recommend_round_mib(double bytes)
{
	if (!(bytes > 0))
		return 0;
	/* A hair under a whole MiB (a product of margins) is that MiB, not the next. */
	return (uint64_t)ceil(bytes / MIB - 1e-9) * (uint64_t)MIB;
}

const char *recommend_format_size(double bytes, char *buf, size_t len)
{
	if (bytes >= 10.0 * 1024 * MIB)
		snprintf(buf, len, "%.0f GiB", bytes / (1024 * MIB));
	else if (bytes >= 1024 * MIB)
		snprintf(buf, len, "%.1f GiB", bytes / (1024 * MIB));
	else if (bytes >= MIB)
		snprintf(buf, len, "%.0f MiB", bytes / MIB);
	else
		snprintf(buf, len, "%.0f KiB", bytes / 1024);
	return buf;
}

static const char *format_span(double s, char *buf, size_t len)
{
	if (s < 60)
		snprintf(buf, len, "%.0fs", s);
	else if (s < 600 && fmod(floor(s), 60))
		snprintf(buf, len, "%.0fm%.0fs", floor(s / 60), fmod(floor(s), 60));
	else if (s < 7200)
		snprintf(buf, len, "%.0fm", floor(s / 60));
	else if (s < 172800)
		snprintf(buf, len, "%.0fh", floor(s / 3600));
	else
		snprintf(buf, len, "%.0fd", floor(s / 86400));
	return buf;
}

double recommend_history_needed(double window_s)
{
	return window_s / 2 < RECOMMEND_HISTORY_S ? window_s / 2 : RECOMMEND_HISTORY_S;
}

static void not_recommended(struct recommendation *out, enum recommend_verdict verdict)
{
	out->verdict = verdict;
	out->recommended = false;
	out->request_bytes = 0;
	out->limit_bytes = 0;
}

/* The limit and the words for it, before the request is added to them. */
static void decide_limit(const struct recommend_figures *fig, struct recommendation *out,
			 char *words, size_t len)
{
	double margin = fig->oom_risks ? RECOMMEND_RISK_MARGIN : RECOMMEND_MARGIN;
	uint64_t from_peak = recommend_round_mib(fig->working_set_max * (1 + margin));
	char peak[32], at[32];

	recommend_format_size(fig->working_set_max, peak, sizeof(peak));
	out->verdict = RECOMMEND_FROM_USAGE;
	out->limit_bytes = from_peak;
	if (fig->oom_risks)
		snprintf(words, len, "limit: peak %s + %.0f%% (%llu OOM risk episode%s)", peak,
			 margin * 100, (unsigned long long)fig->oom_risks,
			 fig->oom_risks == 1 ? "" : "s");
	else
		snprintf(words, len, "limit: peak %s + %.0f%%", peak, margin * 100);
	if (!fig->oom_kills)
		return;
	out->verdict = RECOMMEND_RAISED_OOM;
	if (!fig->has_kill_limit) {
		/* Killed without a limit of its own (the node ran out): the peak is all. */
		uint64_t raised =
			recommend_round_mib(fig->working_set_max * (1 + RECOMMEND_OOM_RAISE));

		if (raised > out->limit_bytes)
			out->limit_bytes = raised;
		snprintf(words, len,
			 "raised: %llu OOM kill%s (no limit known), limit: peak %s + %.0f%%",
			 (unsigned long long)fig->oom_kills, fig->oom_kills == 1 ? "" : "s", peak,
			 RECOMMEND_OOM_RAISE * 100);
		return;
	}
	recommend_format_size(fig->kill_limit, at, sizeof(at));
	if (recommend_round_mib(fig->kill_limit * (1 + RECOMMEND_OOM_RAISE)) >= from_peak) {
		out->limit_bytes = recommend_round_mib(fig->kill_limit * (1 + RECOMMEND_OOM_RAISE));
		snprintf(words, len, "raised: %llu OOM kill%s at %s, limit %s + %.0f%%",
			 (unsigned long long)fig->oom_kills, fig->oom_kills == 1 ? "" : "s", at, at,
			 RECOMMEND_OOM_RAISE * 100);
	} else {
		snprintf(words, len, "raised: %llu OOM kill%s at %s, limit: peak %s + %.0f%%",
			 (unsigned long long)fig->oom_kills, fig->oom_kills == 1 ? "" : "s", at,
			 peak, margin * 100);
	}
}

void recommend_decide(const struct recommend_figures *fig, double window_s,
		      struct recommendation *out)
{
	double needed = recommend_history_needed(window_s);
	char limit_words[128], p99[32], have[16], need[16];

	memset(out, 0, sizeof(*out));
	out->history_s = fig->last_seen - fig->first_seen;
	if (!(out->history_s > 0) || !fig->has_working_set)
		out->history_s = 0;
	if (out->history_s > window_s)
		out->history_s = window_s;
	if (fig->leak_suspected) {
		not_recommended(out, RECOMMEND_NO_LEAKING);
		snprintf(out->reason, sizeof(out->reason),
			 "not recommended: leaking, fix the leak first");
		return;
	}
	if (!fig->has_working_set) {
		not_recommended(out, RECOMMEND_NO_DATA);
		snprintf(out->reason, sizeof(out->reason),
			 "not recommended: no working set figures in the window");
		return;
	}
	if (out->history_s < needed) {
		not_recommended(out, RECOMMEND_NO_HISTORY);
		snprintf(out->reason, sizeof(out->reason),
			 "too little history: %s of the %s needed",
			 format_span(out->history_s, have, sizeof(have)),
			 format_span(needed, need, sizeof(need)));
		return;
	}
	out->recommended = true;
	out->request_bytes = recommend_round_mib(fig->working_set_p99 * (1 + RECOMMEND_MARGIN));
	decide_limit(fig, out, limit_words, sizeof(limit_words));
	if (out->limit_bytes < out->request_bytes)
		out->limit_bytes = out->request_bytes;
	recommend_format_size(fig->working_set_p99, p99, sizeof(p99));
	if (out->verdict == RECOMMEND_RAISED_OOM)
		snprintf(out->reason, sizeof(out->reason),
			 "%s; request: p99 working set %s + %.0f%% margin", limit_words, p99,
			 RECOMMEND_MARGIN * 100);
	else
		snprintf(out->reason, sizeof(out->reason), "p99 working set %s + %.0f%% margin; %s",
			 p99, RECOMMEND_MARGIN * 100, limit_words);
}
