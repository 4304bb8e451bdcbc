"""The month's figures, gathered once: every file of the bulletin is written from one
``BulletinData``, so the Word text, the PDF, the workbook and the map can never disagree."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, timedelta

import geopandas as gpd
import pandas as pd
from sqlalchemy import text
from sqlalchemy.orm import Session

from core import clock
from db.query import read_geoframe
from duty.coverage import cell_coverage, load_cells, month_bounds, site_period_status
from duty.due import due_list
from duty.register import clean_needed, register_frame
from duty.supervision import township_summary
from reports.evaluation import (
    Weights,
    evaluate_month,
    load_weights,
    month_after,
    township_ranking,
)
from tickets.figures import county_rates, overdue_tickets, ticket_rates
from tickets.public_reports import public_report_counts


@dataclass
class BulletinData:
    """Everything the bulletin says, gathered once from the database."""

    county: str
    year: int
    month: int
    as_of: date
    issued: date
    weights: Weights
    evaluation: pd.DataFrame
    townships: pd.DataFrame
    summary: pd.DataFrame  # 指标, 数值
    overdue_sites: pd.DataFrame
    ticket_platforms: pd.DataFrame
    ticket_county: pd.Series
    overdue_ticket_count: int
    cells: gpd.GeoDataFrame
    outline: gpd.GeoDataFrame
    township_shapes: gpd.GeoDataFrame
    register: pd.DataFrame  # 挂号销号: the periods that touch the month, in Chinese
    register_counts: dict[str, int]  # open at the month's end, opened and cancelled in it
    # 有奖举报 received in the month by status (as of as_of): counted apart from the deputies'
    public_reports: dict[str, int] = field(default_factory=dict)
    # 督查组 per township: groups, visits (check-ins, tracks), findings (duty.supervision)
    supervision: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def title(self) -> str:
        return (
            f"{self.county}人大常委会关于{self.year}年{self.month}月"
            "人大代表水环境监督履职情况的通报"
        )

    @property
    def map_title(self) -> str:
        return f"{self.county}{self.year}年{self.month}月小网格按期巡查率"


def percent(value: float) -> str:
    return (
        "–"
        if value is None or (isinstance(value, float) and math.isnan(value))
        else (f"{value:.1%}")
    )


def bulletin_data(
    session: Session,
    year: int,
    month: int,
    as_of: date | None = None,
    weights: Weights | None = None,
) -> BulletinData:
    """The month's figures: evaluation, townships, summary, overdue sites, tickets, map cells.

    ``as_of`` defaults to the day after the month (a closed month) or today, if earlier.
    """
    start, end = month_bounds(year, month)
    today = clock.today()
    as_of = as_of or min(month_after(year, month), today)
    ref = min(end, as_of)
    weights = weights or load_weights()
    evaluation = evaluate_month(session, year, month, weights, as_of)
    townships = township_ranking(evaluation)
    county = session.scalar(text("SELECT name FROM county ORDER BY id LIMIT 1")) or "本县"

    # Tickets of the month's local days, counted from the events before as_of: the same
    # bulletin says the same whenever it is built again (tickets.figures has the definitions).
    after = end + timedelta(days=1)
    by_platform = ticket_rates(session, "platform", start, after, as_of)
    platform_zh = dict(session.execute(text("SELECT code, name_zh FROM platform")).all())
    by_platform["key"] = [platform_zh.get(c, c) for c in by_platform["key"]]
    whole_row = county_rates(session, start, after, as_of)
    overdue_count = len(overdue_tickets(session, as_of))
    public = public_report_counts(
        session,
        clock.local_midnight(start),
        clock.local_midnight(after),
        None,
        clock.local_midnight(as_of),
    )

    due = due_list(session, ref)
    overdue = due[due["status"] == "overdue"].sort_values(["days_left", "site_code"])
    overdue_sites = pd.DataFrame(
        {
            "乡镇（街道）": overdue["township"].fillna(""),
            "点位编码": overdue["site_code"],
            "点位名称": overdue["site_name"],
            "类别": overdue["site_class"].astype(int).map(lambda c: f"{c}类"),
            "联系代表": overdue["deputy_name"],
            "最近巡查": overdue["last_visit"].dt.strftime("%Y-%m-%d").fillna("从未"),
            "截止日期": overdue["deadline"].dt.strftime("%Y-%m-%d"),
            "逾期天数": (-overdue["days_left"]).astype(int),
        }
    ).reset_index(drop=True)

    sites = int(evaluation["assigned_sites"].sum())
    on_time = int(evaluation["sites_on_time"].sum())
    summary = pd.DataFrame(
        [
            ("参评代表（名）", len(evaluation)),
            ("联系点位（处）", sites),
            ("按期巡查点位（处）", on_time),
            ("按期巡查率", percent(on_time / sites if sites else math.nan)),
            ("有效巡查（次）", int(evaluation["visits"].sum())),
            ("代表反映问题（件）", int(evaluation["problems_reported"].sum())),
            ("问题确认（件）", int(evaluation["problems_confirmed"].sum())),
            ("异常轨迹（条）", int(evaluation["flagged_tracks"].sum())),
            ("交办问题（件）", int(whole_row["dispatched"])),
            ("已处置（件）", int(whole_row["handled"])),
            ("交办处置率", percent(float(whole_row["handling_rate"]))),
            ("办结（件）", int(whole_row["closed"])),
            ("办结率", percent(float(whole_row["closing_rate"]))),
            ("逾期未反馈（件）", overdue_count),
            ("逾期未巡查点位（处）", len(overdue_sites)),
            ("平均得分", f"{evaluation['score'].mean():.2f}" if len(evaluation) else "–"),
        ],
        columns=["指标", "数值"],
    )
    summary["数值"] = summary["数值"].astype(str)

    status = site_period_status(session, start, end, as_of)
    scored = cell_coverage(status, load_cells(session), 3)
    shapes = read_geoframe(session, "SELECT id AS cell_id, geom FROM grid_cell WHERE level = 3")
    cells = gpd.GeoDataFrame(shapes.merge(scored, on="cell_id"), geometry="geom", crs=shapes.crs)
    register, register_counts = register_of_month(session, start, ref)
    outline = read_geoframe(session, "SELECT name, geom FROM county")
    township_shapes = read_geoframe(session, "SELECT name, geom FROM township")
    supervision = township_summary(session, start, end)
    return BulletinData(
        county=county,
        year=year,
        month=month,
        as_of=as_of,
        issued=today,
        weights=weights,
        evaluation=evaluation,
        townships=townships,
        summary=summary,
        overdue_sites=overdue_sites,
        ticket_platforms=by_platform,
        ticket_county=whole_row,
        overdue_ticket_count=overdue_count,
        cells=cells,
        outline=outline,
        township_shapes=township_shapes,
        register=register,
        register_counts=register_counts,
        public_reports=public,
        supervision=supervision,
    )


def register_of_month(session: Session, start: date, ref: date) -> tuple[pd.DataFrame, dict]:
    """The register's periods that touch [start, ref], as the bulletin's table (a period
    cancelled after ``ref`` still reads 挂号中), and the month's counts. Read as the daily
    scan left it (duty.register)."""
    frame = register_frame(session, opened_by=ref)
    opened = pd.to_datetime(frame["opened_on"]).dt.date
    closed = pd.to_datetime(frame["closed_on"]).dt.date
    open_at_ref = closed.isna() | (closed > ref)
    touches = open_at_ref | (closed >= start)
    month = frame[touches.to_numpy()]
    table = pd.DataFrame(
        {
            "乡镇（街道）": month["township"].fillna(""),
            "点位编码": month["site_code"],
            "点位名称": month["site_name"],
            "挂号日期": opened[touches].map(lambda d: f"{d:%Y-%m-%d}"),
            "销号日期": [
                "" if still else f"{d:%Y-%m-%d}"
                for d, still in zip(closed[touches], open_at_ref[touches], strict=True)
            ],
            "状态": ["挂号中" if still else "已销号" for still in open_at_ref[touches]],
            "交办单": month["tickets"].fillna(""),
        }
    ).reset_index(drop=True)
    counts = {
        "open": int(open_at_ref.sum()),
        "opened": int(((opened >= start) & (opened <= ref)).sum()),
        "cancelled": int((~open_at_ref & (closed >= start)).sum()),
        "k": clean_needed(),
    }
    return table, counts
