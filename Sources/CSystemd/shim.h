#ifndef SIOD_CSYSTEMD_SHIM_H
#define SIOD_CSYSTEMD_SHIM_H

// Swift passes CODE_FILE/CODE_LINE/CODE_FUNC itself; don't let the header add the shim's own.
#define SD_JOURNAL_SUPPRESS_LOCATION

#include <systemd/sd-daemon.h>
#include <systemd/sd-journal.h>

#endif
