"""Runs on more than one machine: a job's pages read on a Ray cluster (`ocrkit --ray`).

Ray is an extra (`pip install 'ocrkit[ray]'`), imported only when a run asks for a cluster.
"""

from ocrkit.cluster.ray_pages import RayPages, connect, prepare_on_cluster
from ocrkit.cluster.worker import Checked

__all__ = ["Checked", "RayPages", "connect", "prepare_on_cluster"]
