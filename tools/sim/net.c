/* The event queue and the virtual network with its faults.
 *
 * Events are kept in a binary heap ordered by (virtual time, sequence
 * number): equal times keep their insertion order, so the order never
 * depends on addresses. The network delivers each message after a random
 * delay; during the faulty phase (before heal_at) it also loses,
 * duplicates and reorders messages and cuts the nodes into two sides for a
 * while. From heal_at on, links are reliable with a short delay, which is
 * the "eventually synchronous" premise under which liveness is checked. */
#include <stdlib.h>
#include <string.h>

#include "tools/sim/sim.h"

static bool ev_less(const sim_ev *a, const sim_ev *b)
{
	return a->at < b->at || (a->at == b->at && a->seq < b->seq);
}

void sim_push(sim *s, const sim_ev *e)
{
	if (s->nheap == s->capheap) {
		size_t cap = s->capheap ? s->capheap * 2 : 1024;
		sim_ev *nh = realloc(s->heap, cap * sizeof *nh);
		if (nh == NULL) {
			fprintf(stderr, "notary-sim: out of memory\n");
			exit(2);
		}
		s->heap = nh;
		s->capheap = cap;
	}
	size_t i = s->nheap++;
	s->heap[i] = *e;
	s->heap[i].seq = s->seq++;
	while (i > 0) {
		size_t p = (i - 1) / 2;
		if (!ev_less(&s->heap[i], &s->heap[p]))
			break;
		sim_ev t = s->heap[i];
		s->heap[i] = s->heap[p];
		s->heap[p] = t;
		i = p;
	}
}

bool sim_pop(sim *s, sim_ev *out)
{
	if (s->nheap == 0)
		return false;
	*out = s->heap[0];
	s->heap[0] = s->heap[--s->nheap];
	size_t i = 0;
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < s->nheap && ev_less(&s->heap[l], &s->heap[m]))
			m = l;
		if (r < s->nheap && ev_less(&s->heap[r], &s->heap[m]))
			m = r;
		if (m == i)
			break;
		sim_ev t = s->heap[i];
		s->heap[i] = s->heap[m];
		s->heap[m] = t;
		i = m;
	}
	return true;
}

void sim_events_free(sim *s)
{
	for (size_t i = 0; i < s->nheap; i++)
		free(s->heap[i].msg);
	free(s->heap);
	s->heap = NULL;
	s->nheap = s->capheap = 0;
}

bool sim_faulty_phase(const sim *s)
{
	return !s->healed;
}

bool sim_reachable(const sim *s, int a, int b)
{
	return s->part[a] == s->part[b];
}

static void push_copy(sim *s, int from, int to, const uint8_t *msg, size_t len, uint64_t delay)
{
	sim_ev e;
	memset(&e, 0, sizeof e);
	e.kind = EV_MSG;
	e.at = s->now + delay;
	e.from = from;
	e.to = to;
	e.msg = malloc(len ? len : 1);
	if (e.msg == NULL) {
		fprintf(stderr, "notary-sim: out of memory\n");
		exit(2);
	}
	memcpy(e.msg, msg, len);
	e.len = len;
	sim_push(s, &e);
}

static uint64_t draw_delay(sim *s)
{
	uint64_t d = sim_range(s, s->dmin, sim_faulty_phase(s) ? s->dmax : s->dmin + 15);
	if (sim_faulty_phase(s) && sim_chance(s, s->reorder_pm))
		d += sim_range(s, 100, 900); /* overtaken by later messages */
	return d;
}

void sim_send(sim *s, int from, int to, const uint8_t *msg, size_t len)
{
	if (from == to)
		return;
	/* The adversary schedules its own messages: before the faults heal
	 * the Byzantine nodes' links are fast and reliable, which lets an
	 * equivocating proposer's two blocks reach their halves before honest
	 * relays do. */
	if (s->nodes[from].byz && sim_faulty_phase(s)) {
		push_copy(s, from, to, msg, len, sim_range(s, 1, 5));
		return;
	}
	if (sim_faulty_phase(s) && sim_chance(s, s->loss_pm)) {
		s->dropped++;
		return;
	}
	push_copy(s, from, to, msg, len, draw_delay(s));
	if (sim_faulty_phase(s) && sim_chance(s, s->dup_pm))
		push_copy(s, from, to, msg, len, draw_delay(s));
}

void sim_broadcast(sim *s, int from, const uint8_t *msg, size_t len)
{
	for (int i = 0; i < s->n; i++)
		if (i != from)
			sim_send(s, from, i, msg, len);
}

/* Draws this seed's network: delays and fault rates, partition windows. */
void sim_net_setup(sim *s)
{
	unsigned f = s->o.faults;
	s->dmin = 1;
	s->dmax = (f & F_DELAY) ? sim_range(s, 20, 300) : 10;
	s->loss_pm = (f & F_LOSS) ? (unsigned)sim_range(s, 10, 150) : 0;
	s->dup_pm = (f & F_DUP) ? (unsigned)sim_range(s, 10, 100) : 0;
	s->reorder_pm = (f & F_REORDER) ? (unsigned)sim_range(s, 10, 100) : 0;
	if (f & F_PARTITION) {
		unsigned k = (unsigned)sim_range(s, 1, 3);
		for (unsigned i = 0; i < k; i++) {
			sim_ev e;
			memset(&e, 0, sizeof e);
			e.kind = EV_PART;
			e.at = SIM_T0 + sim_range(s, 0, s->heal_at - SIM_T0);
			sim_push(s, &e);
		}
	}
}

/* A partition forms (two random sides) and heals after a while, at the
 * latest at heal_at. */
void sim_on_part(sim *s, const sim_ev *e)
{
	if (e->kind == EV_PART_HEAL) {
		memset(s->part, 0, sizeof s->part);
		sim_trace(s, "net partition healed");
		return;
	}
	if (!sim_faulty_phase(s))
		return;
	char desc[SIM_MAXV + 1];
	for (int i = 0; i < s->n; i++) {
		s->part[i] = (int)sim_range(s, 0, 1);
		desc[i] = (char)('A' + s->part[i]);
	}
	desc[s->n] = 0;
	sim_trace(s, "net partition %s", desc);
	sim_ev h;
	memset(&h, 0, sizeof h);
	h.kind = EV_PART_HEAL;
	h.at = s->now + sim_range(s, 200, 2000);
	if (h.at > s->heal_at)
		h.at = s->heal_at;
	sim_push(s, &h);
}
