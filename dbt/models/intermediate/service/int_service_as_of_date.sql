{#-
    The day the service marts describe: the partition window's last day (var max_date), but never
    later than the service data delivered so far, so a plain `dbt build` (max_date far in the
    future) describes the latest delivered day instead of counting every open ticket as late.
-#}
with

contacts as (

    select * from {{ ref('stg_contacts__contacts') }}

),

ticket_versions as (

    select * from {{ ref('stg_tickets__ticket_versions') }}

),

surveys as (

    select * from {{ ref('stg_surveys__responses') }}

),

landing_dates as (

    select contacts.landing_date from contacts
    union all
    select ticket_versions.landing_date from ticket_versions
    union all
    select surveys.landing_date from surveys

),

final as (

    select
        least(
            cast('{{ var("max_date") }}' as date),
            max(landing_dates.landing_date)
        ) as as_of_date
    from landing_dates

)

select * from final
