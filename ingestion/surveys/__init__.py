"""Survey exports (KoboToolbox, ODK Central, Google Forms) into raw.survey_* (see docs/surveys.md)."""
