"""The lent GPU machine: pack the data here, run ``bench/device/run.sh`` there, import the results here."""
