-- The queue and the register status per insats and month, reconstructed from every version of
-- the förbund's register (domain brief §4 "Flows" and "Caseload"), person-free. One row for
-- every insats in the registers and every month of mart_flows_month.
--
-- Queue (int_queue_episodes): waiting at the month's last day, the waits of those waiting then
-- (days from kodatum to that day: median and longest), and the stays that left the queue without
-- starting, dated when the register first showed them gone. The queue of a month is known when
-- the förbund has a register version extracted on or after its last day; a leaving can be seen
-- only between two versions, so `left_queue` is known from the month after the first version.
-- Unknown is null, never 0.
--
-- Status: aktiv and passiv are statuses on an extract date, with no dates of their own; a month's
-- status is read from the förbund's last version extracted in that month, and is null in a month
-- without one.

with

flows_months as (

    -- the insatser and months of mart_flows_month: the same rows, month for month
    select forbund_id, insats_id, month_start, year
    from {{ ref('mart_flows_month') }}

),

register_versions as (

    select forbund_id, extracted_on, first_extracted_on, newest_extracted_on
    from {{ ref('int_register_versions') }}
    where feed = 'deltagare'

),

coverage as (

    select distinct forbund_id, first_extracted_on, newest_extracted_on
    from register_versions

),

insats_months as (

    select
        flows_months.forbund_id,
        flows_months.insats_id,
        flows_months.month_start,
        (flows_months.month_start + interval '1 month' - interval '1 day')::date as month_end,
        flows_months.year::integer as year,
        coverage.newest_extracted_on >= (flows_months.month_start + interval '1 month' - interval '1 day')::date
            as queue_known,
        coverage.newest_extracted_on >= (flows_months.month_start + interval '1 month' - interval '1 day')::date
            and coverage.first_extracted_on < flows_months.month_start as leaving_known

    from flows_months
    left join coverage on coverage.forbund_id = flows_months.forbund_id

),

queue as (

    select forbund_id, insats_id, queued_on, entered_on, left_queue_on
    from {{ ref('int_queue_episodes') }}

),

queue_counted as (

    select
        insats_months.forbund_id,
        insats_months.insats_id,
        insats_months.month_start,
        count(queue.queued_on) filter (
            where queue.queued_on <= insats_months.month_end
              and (queue.entered_on is null or queue.entered_on > insats_months.month_end)
              and (queue.left_queue_on is null or queue.left_queue_on > insats_months.month_end)
        ) as waiting_end,
        count(queue.left_queue_on) filter (
            where queue.left_queue_on between insats_months.month_start and insats_months.month_end
        ) as left_queue,
        percentile_cont(0.5) within group (
            order by {{ dbt.datediff('queue.queued_on', 'insats_months.month_end', 'day') }}
        ) filter (
            where queue.queued_on <= insats_months.month_end
              and (queue.entered_on is null or queue.entered_on > insats_months.month_end)
              and (queue.left_queue_on is null or queue.left_queue_on > insats_months.month_end)
        ) as median_current_wait_days,
        max({{ dbt.datediff('queue.queued_on', 'insats_months.month_end', 'day') }}) filter (
            where queue.queued_on <= insats_months.month_end
              and (queue.entered_on is null or queue.entered_on > insats_months.month_end)
              and (queue.left_queue_on is null or queue.left_queue_on > insats_months.month_end)
        ) as max_current_wait_days

    from insats_months
    -- only stays that touch the month: queued by its end, not ended before it
    left join queue
        on queue.forbund_id = insats_months.forbund_id
        and queue.insats_id = insats_months.insats_id
        and queue.queued_on <= insats_months.month_end
        and coalesce(queue.entered_on, queue.left_queue_on, insats_months.month_start) >= insats_months.month_start
    group by insats_months.forbund_id, insats_months.insats_id, insats_months.month_start

),

status_versions as (

    -- the last version extracted in each month
    select forbund_id, month_start, max(extracted_on) as status_read_on
    from (
        select forbund_id, extracted_on, date_trunc('month', extracted_on)::date as month_start
        from register_versions
    ) as extracts
    group by forbund_id, month_start

),

status_counted as (

    select
        versions.forbund_id,
        versions.insats_id,
        versions.extracted_on,
        count(*) filter (where versions.register_status = 'aktiv') as status_active_end,
        count(*) filter (where versions.register_status = 'passiv') as status_passive_end

    from {{ ref('int_deltagare_versions') }} as versions
    where {{ is_participation('versions.exit_reason') }}
    group by versions.forbund_id, versions.insats_id, versions.extracted_on

),

final as (

    select
        insats_months.forbund_id,
        insats_months.insats_id,
        insats_months.month_start,
        insats_months.year,
        coalesce(insats_months.queue_known, false) as queue_known,
        case when insats_months.queue_known then queue_counted.waiting_end::integer end as waiting_end,
        case when insats_months.leaving_known then queue_counted.left_queue::integer end as left_queue,
        case when insats_months.queue_known
            then queue_counted.median_current_wait_days::float8 end as median_current_wait_days,
        case when insats_months.queue_known
            then queue_counted.max_current_wait_days::integer end as max_current_wait_days,
        status_versions.status_read_on,
        -- a version read for the month but without the insats: nobody of it had that status
        case when status_versions.status_read_on is not null
            then coalesce(status_counted.status_active_end, 0)::integer end as status_active_end,
        case when status_versions.status_read_on is not null
            then coalesce(status_counted.status_passive_end, 0)::integer end as status_passive_end

    from insats_months
    left join queue_counted
        on queue_counted.forbund_id = insats_months.forbund_id
        and queue_counted.insats_id = insats_months.insats_id
        and queue_counted.month_start = insats_months.month_start
    left join status_versions
        on status_versions.forbund_id = insats_months.forbund_id
        and status_versions.month_start = insats_months.month_start
    left join status_counted
        on status_counted.forbund_id = insats_months.forbund_id
        and status_counted.insats_id = insats_months.insats_id
        and status_counted.extracted_on = status_versions.status_read_on

)

select * from final
