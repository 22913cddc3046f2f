//! A stable text form of the IR, for `stn inspect --emit ir` and snapshots.
