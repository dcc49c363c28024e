# Registry: multi-stage build of the server; the runtime image runs as a non-root user.
# docker build -t registry . && docker run -p 8081:8081 -v registry-data:/data registry
# The validating gateway is the "gateway" target:
# docker build --target gateway -t registry-gateway . &&
#   docker run -p 9092:9092 -p 9464:9464 -e Gateway__Upstream=broker:9092 -e Gateway__Registry=http://registry:8081 registry-gateway
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY global.json Directory.Build.props Directory.Packages.props .editorconfig ./
COPY src/Registry.Core/Registry.Core.csproj src/Registry.Core/
COPY src/Registry.Formats/Registry.Formats.csproj src/Registry.Formats/
COPY src/Registry.Storage/Registry.Storage.csproj src/Registry.Storage/
COPY src/Registry.Server/Registry.Server.csproj src/Registry.Server/
COPY src/Registry.Gateway/Registry.Gateway.csproj src/Registry.Gateway/
RUN dotnet restore src/Registry.Server/Registry.Server.csproj && dotnet restore src/Registry.Gateway/Registry.Gateway.csproj
COPY src/ src/
RUN dotnet publish src/Registry.Server/Registry.Server.csproj -c Release -o /app --no-restore

FROM build AS build-gateway
RUN dotnet publish src/Registry.Gateway/Registry.Gateway.csproj -c Release -o /gateway --no-restore

FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS gateway
WORKDIR /app
COPY --from=build-gateway /gateway ./
USER $APP_UID
ENV ASPNETCORE_URLS=http://+:9464 \
    Gateway__ListenAddress=0.0.0.0 \
    Gateway__BootstrapPort=9092 \
    DOTNET_NOLOGO=1
EXPOSE 9092 9464
ENTRYPOINT ["dotnet", "Registry.Gateway.dll"]

FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime
WORKDIR /app
COPY --from=build /app ./
RUN mkdir -p /data && chown "$APP_UID" /data
USER $APP_UID
VOLUME /data
ENV ASPNETCORE_URLS=http://+:8081 \
    Registry__DataDirectory=/data \
    DOTNET_NOLOGO=1
EXPOSE 8081
ENTRYPOINT ["dotnet", "Registry.Server.dll"]
