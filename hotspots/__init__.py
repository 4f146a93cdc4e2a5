"""Hot-spot cases (điểm nóng): every hot spot of marts.mart_hot_spots opens or joins a case run
through a response scenario (kịch bản ứng phó) of the config folder, with an owner, a status, a
timeline, escalations of overdue steps through the alerts outbox and signed acknowledgement links.

Entry points: :func:`hotspots.cases.sync_cases` (the `dlxh_alerts` DAG, `dlxh hotspots sync`),
:func:`hotspots.cases.act` (CLI and links), :mod:`hotspots.server` (`dlxh hotspots serve`).
"""
