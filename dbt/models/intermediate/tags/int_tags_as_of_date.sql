{#-
    The day the member tags describe, one row: the lifecycle's last day (var max_date, capped at
    the last day with member activity). Every tag reads only data up to the end of this day.
-#}
with

lifecycle_window as (

    select * from {{ ref('int_lifecycle_window') }}

),

final as (

    select lifecycle_window.last_data_date as as_of_date
    from lifecycle_window

)

select * from final
