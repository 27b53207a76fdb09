/* The libcsv raw parse floor: read a CSV file in 1 MiB blocks through csv_parse and
 * count fields and records, nothing else. */
#include <csv.h>
#include <stdio.h>
#include <stdlib.h>

static size_t fields, records;
static void on_field(void *s, size_t len, void *data) { (void)s; (void)len; (void)data; fields++; }
static void on_record(int c, void *data) { (void)c; (void)data; records++; }

int main(int argc, char **argv) {
  if (argc != 2) { fprintf(stderr, "usage: csv_floor FILE\n"); return 2; }
  FILE *f = fopen(argv[1], "rb");
  if (!f) { perror(argv[1]); return 2; }
  struct csv_parser p;
  csv_init(&p, 0);
  static char buf[1 << 20];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) csv_parse(&p, buf, n, on_field, on_record, NULL);
  csv_fini(&p, on_field, on_record, NULL);
  csv_free(&p);
  fclose(f);
  printf("%zu records, %zu fields\n", records, fields);
  return 0;
}
