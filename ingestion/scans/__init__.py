"""Source `scans`: media-monitoring exports ("rà quét thông tin") with dedupe and attribution."""
