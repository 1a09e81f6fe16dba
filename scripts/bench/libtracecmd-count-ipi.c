// The anchor of `make bench` (issue #15): libtracecmd's plain C event loop over a trace.dat,
// counting what `pokestat analyze` needs at the least: IPI targets per CPU (ipi_send_cpu's
// `cpu`, ipi_send_cpumask's `cpumask` bits) and call-function receptions per CPU
// (call_function_entry, call_function_single_entry), in global time order
// (tracecmd_iterate_events), one libtraceevent field lookup per event.
//
// build: cc -O2 -o libtracecmd-count-ipi libtracecmd-count-ipi.c $(pkg-config --cflags --libs libtracecmd libtraceevent)
// run:   ./libtracecmd-count-ipi trace.dat
// Prints "events N", "ipi targets N", "receptions N" and per-CPU lines; exits 2 when the
// file cannot be opened.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <trace-cmd.h>
#include <event-parse.h>

#define MAX_CPUS 4096

struct counts {
	struct tep_event *send_cpu, *send_mask, *entry, *single_entry;
	struct tep_format_field *cpu_field, *mask_field;
	unsigned long long events, targets[MAX_CPUS], receptions[MAX_CPUS];
	int max_cpu;
};

static int count_event(struct tracecmd_input *handle, struct tep_record *record, int cpu, void *data)
{
	struct counts *c = data;
	struct tep_handle *tep = tracecmd_get_tep(handle);
	int type = tep_data_type(tep, record);
	(void)cpu;
	c->events++;
	if (record->cpu > c->max_cpu)
		c->max_cpu = record->cpu;
	if (c->send_cpu && type == c->send_cpu->id) {
		unsigned long long target;
		if (tep_read_number_field(c->cpu_field, record->data, &target) == 0 && target < MAX_CPUS)
			c->targets[target]++;
	} else if (c->send_mask && type == c->send_mask->id) {
		// __data_loc: offset in the low 16 bits, length in the high 16 bits.
		unsigned int loc = *(unsigned int *)((char *)record->data + c->mask_field->offset);
		unsigned int offset = loc & 0xffff, length = loc >> 16;
		const unsigned char *bits = (const unsigned char *)record->data + offset;
		for (unsigned int i = 0; i < length && i * 8 < MAX_CPUS; i++)
			for (int b = 0; b < 8; b++)
				if (bits[i] & (1u << b))
					c->targets[i * 8 + b]++;
	} else if ((c->entry && type == c->entry->id) || (c->single_entry && type == c->single_entry->id)) {
		if (record->cpu < MAX_CPUS)
			c->receptions[record->cpu]++;
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s trace.dat\n", argv[0]);
		return 2;
	}
	struct tracecmd_input *handle = tracecmd_open(argv[1], 0);
	if (!handle) {
		fprintf(stderr, "%s: cannot open %s\n", argv[0], argv[1]);
		return 2;
	}
	struct tep_handle *tep = tracecmd_get_tep(handle);
	static struct counts c;
	c.send_cpu = tep_find_event_by_name(tep, "ipi", "ipi_send_cpu");
	c.send_mask = tep_find_event_by_name(tep, "ipi", "ipi_send_cpumask");
	c.entry = tep_find_event_by_name(tep, "irq_vectors", "call_function_entry");
	c.single_entry = tep_find_event_by_name(tep, "irq_vectors", "call_function_single_entry");
	c.cpu_field = c.send_cpu ? tep_find_field(c.send_cpu, "cpu") : NULL;
	c.mask_field = c.send_mask ? tep_find_field(c.send_mask, "cpumask") : NULL;
	if (!c.cpu_field)
		c.send_cpu = NULL;
	if (!c.mask_field)
		c.send_mask = NULL;
	tracecmd_iterate_events(handle, NULL, 0, count_event, &c);
	unsigned long long targets = 0, receptions = 0;
	for (int i = 0; i < MAX_CPUS; i++) {
		targets += c.targets[i];
		receptions += c.receptions[i];
	}
	printf("events %llu\nipi targets %llu\nreceptions %llu\n", c.events, targets, receptions);
	for (int i = 0; i <= c.max_cpu && i < MAX_CPUS; i++)
		printf("  cpu %d: targets %llu receptions %llu\n", i, c.targets[i], c.receptions[i]);
	tracecmd_close(handle);
	return 0;
}
