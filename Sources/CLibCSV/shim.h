// libcsv (Debian package libcsv-dev): the only C dependency, wrapped by CSVStream.
#include <csv.h>
