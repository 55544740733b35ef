"""Operator commands: doctor, backup, rotate-key, graph and the content review report."""

from bot.ops.checks import check_data_dir_private

__all__ = ["check_data_dir_private"]
